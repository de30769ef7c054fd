// Live broadcast from the web console (#/live) against the real server, broker and agent: the
// seeded admin registers and provisions a loudspeaker in commune 14797 and a real nguon-agent with
// a file sink comes online; headless Chromium has a fake microphone fed from a WAV written here
// (a 440 Hz tone with a 2 Hz amplitude modulation). The form's own check (no area: nothing is
// sent), a conflicting session of the same level (409 live_conflict: the server's words shown),
// then the live broadcast itself: on air, one WebSocket binary message per Opus packet, the agent's
// sink receiving an Ogg Opus stream (OggS, OpusHead, OpusTags) that keeps growing, the board
// showing the device playing; "Kết thúc" ends the session (end_reason stopped), the device stops
// and the file stops growing. Also: leaving the page ends the session and the polling; a commune
// operator pre-empted by a province session is told so; a browser without WebCodecs or with the
// microphone refused gets a precise message and sends nothing; a spoilt audio token is told and
// the session ended; a 360 px phone screen; no page
// error, no CSP violation, nothing fetched from outside the server.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { apiJson, binDir, FAKE_MEDIA_ARGS, firstLogin, launchBrowser, login, newPage, pageWatch, pcmWav, pickUnit, postDevice, screenshotPath, sleep, startServer, until } from './harness.mjs';

const COMMUNE = '14797'; // Phường Hạc Thành, Thanh Hoá (scope 38 of the harness)
const NEW_PW = 'Mat-khau-moi-2026!';
const TITLE = 'Thông báo trực tiếp của tỉnh';

/** A 48 kHz mono 16-bit PCM WAV: a 440 Hz tone, amplitude modulated at 2 Hz, `seconds` long. */
function writeToneWav(path, seconds = 10, rate = 48_000) {
  writeFileSync(path, pcmWav(seconds, rate, (t) => 0.5 * (0.6 + 0.4 * Math.sin(2 * Math.PI * 2 * t)) * Math.sin(2 * Math.PI * 440 * t)));
}

/** The stream-*.bin files of a sink directory and their sizes. */
function streamFiles(dir) {
  const out = new Map();
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (/^stream-.*\.bin$/.test(name)) out.set(name, statSync(join(dir, name)).size);
  }
  return out;
}

/** The name the file sink gives the relay of `url` (adapters/sink/file_sink.cpp). */
function sinkFileName(url) {
  return `stream-${url.replace(/[^A-Za-z0-9.-]/g, '_')}.bin`;
}

describe('web console: live broadcast from the microphone', { timeout: 420_000 }, () => {
  let server;
  let browser;
  let page;
  let errors;
  let context;
  let work;
  let wavPath;
  let agent = null;
  const agentLog = [];
  let deviceId = '';
  let sinkDir = '';
  const { cspViolations, foreignRequests, dialogs, watch } = pageWatch();
  /** Bodies of POST /api/v1/live sent by the page. */
  const posted = [];
  /** GET /api/v1/live/{id} requests of the page: [id, time]. */
  const sessionPolls = [];
  /** WebSockets the page opened: { url, frames: [{binary, size}], closed }. */
  const sockets = [];

  /** watch(), and the WebSockets of the page with their frames. */
  const watchLive = (p, serverURL) => {
    watch(p, serverURL);
    p.on('websocket', (ws) => {
      const rec = { url: ws.url(), frames: [], closed: false };
      sockets.push(rec);
      ws.on('framesent', (f) => rec.frames.push({ binary: typeof f.payload !== 'string', size: typeof f.payload === 'string' ? f.payload.length : f.payload.length }));
      ws.on('close', () => {
        rec.closed = true;
      });
    });
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'nguon-live-'));
    wavPath = join(work, 'tone.wav');
    writeToneWav(wavPath, 10);
    server = await startServer({ broker: true, fixedPort: true });
    browser = await launchBrowser({ args: [...FAKE_MEDIA_ARGS, `--use-file-for-fake-audio-capture=${wavPath}`] });
    ({ page, errors, context } = await newPage(browser, server.baseURL));
    watchLive(page, server.baseURL);
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (r.method() === 'POST' && path === '/api/v1/live') posted.push(r.postDataJSON());
      const m = /^\/api\/v1\/live\/([^/]+)$/.exec(path);
      if (r.method() === 'GET' && m) sessionPolls.push([m[1], Date.now()]);
    });
  });

  after(async () => {
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent.once('exit', r));
      agent.kill('SIGTERM');
      const t = setTimeout(() => agent.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    }
    await browser?.close();
    if (process.env.NGUON_TEST_VERBOSE) console.log(`--- agent\n${agentLog.join('\n')}\n--- server\n${server?.log()}`);
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the admin registers and provisions a loudspeaker; its agent comes online', async () => {
    await login(page, server.admin.username, server.admin.password);
    const device = await postDevice(page, { name: 'Cụm loa trực tiếp Hạc Thành', serial: 'SN-LIVE-1', commune: COMMUNE });
    assert.equal(device.status, 201, JSON.stringify(device.body));
    deviceId = device.body.id;
    const prov = await apiJson(page, `/api/v1/devices/${encodeURIComponent(deviceId)}/provision`, 'POST', {});
    assert.equal(prov.status, 200, JSON.stringify(prov.body));
    assert.equal(typeof prov.body.bundle_json, 'string');
    const home = join(work, 'agent');
    sinkDir = join(home, 'sink');
    mkdirSync(sinkDir, { recursive: true });
    writeFileSync(join(home, 'bundle.json'), prov.body.bundle_json);
    const agentBin = [join(binDir, 'agent', 'nguon-agent'), join(binDir, 'nguon-agent')].find((p) => existsSync(p));
    assert.ok(agentBin, `nguon-agent not found under ${binDir}`);
    agent = spawn(agentBin, ['--bundle', join(home, 'bundle.json'), '--state', join(home, 'state'), '--sink', `file:${sinkDir}`, '--heartbeat', '5', '--log-level', 'info'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    agent.stdout.on('data', (d) => agentLog.push(String(d).trimEnd()));
    agent.stderr.on('data', (d) => agentLog.push(String(d).trimEnd()));
    await until(
      async () => {
        assert.equal(agent.exitCode, null, `the agent exited early:\n${agentLog.join('\n')}`);
        const d = await apiJson(page, `/api/v1/devices/${encodeURIComponent(deviceId)}`);
        return d.status === 200 && d.body.online === true;
      },
      30_000,
      'the device to come online',
    );
  });

  test('the live page: the form checks the area itself, nothing is sent; English labels', async () => {
    const nav = page.getByTestId('nav-live');
    assert.equal(await nav.textContent(), 'Phát trực tiếp');
    await nav.click();
    await page.getByTestId('live-form').waitFor();
    assert.equal(await page.evaluate(() => location.hash), '#/live');
    assert.equal(await page.getByTestId('live-start').textContent(), 'Bắt đầu phát trực tiếp');
    assert.match(await page.getByTestId('live-warning').textContent(), /toàn bộ loa trong địa bàn đã chọn sẽ phát ngay tiếng từ micrô/);
    assert.equal(await page.getByTestId('live-unsupported').count(), 0, 'Chromium can go live');
    await page.getByTestId('live-sessions-empty').waitFor();

    dialogs.length = 0;
    await page.getByTestId('live-start').click();
    const msg = page.getByTestId('live-msg');
    await msg.filter({ hasText: 'Hãy chọn ít nhất một địa bàn phát.' }).waitFor();
    assert.equal(await msg.getAttribute('data-code'), 'client');
    assert.equal(posted.length, 0, 'nothing was posted');
    assert.equal(dialogs.length, 0, 'no confirmation was asked');
    assert.equal(sockets.length, 0, 'no socket was opened');

    await page.getByTestId('lang-en').click();
    await page.getByTestId('live-form').waitFor();
    assert.equal(await page.getByTestId('nav-live').textContent(), 'Live broadcast');
    assert.equal(await page.getByTestId('live-start').textContent(), 'Start live broadcast');
    await page.getByTestId('lang-vi').click();
    await page.getByTestId('live-start').filter({ hasText: 'Bắt đầu phát trực tiếp' }).waitFor();
  });

  test('a second session of the same level on the same area is refused with the server’s words', async () => {
    const blocker = await apiJson(page, '/api/v1/live', 'POST', { areas: [COMMUNE], title: 'Phiên chiếm chỗ' });
    assert.equal(blocker.status, 201, JSON.stringify(blocker.body));
    assert.equal(blocker.body.state, 'waiting');
    assert.equal(blocker.body.level, 'province', 'the admin of province 38 speaks at province level');
    assert.match(blocker.body.audio_url, /^\/api\/v1\/live\/[^/]+\/audio\?token=/);

    await pickUnit(page, 'live-areas-add', COMMUNE);
    await page.getByTestId(`live-areas-${COMMUNE}`).filter({ hasText: 'Hạc Thành' }).waitFor();
    dialogs.length = 0;
    posted.length = 0; // apiJson's POST above also went through the page
    const answer = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/live');
    await page.getByTestId('live-start').click();
    const res = await answer;
    assert.equal(res.status(), 409);
    const body = await res.json();
    assert.equal(body.error.code, 'live_conflict');
    const msg = page.locator('[data-testid="live-msg"][data-code="live_conflict"]');
    await msg.waitFor();
    assert.equal(await msg.textContent(), `Không thể phát: ${body.error.message}`);
    assert.equal(dialogs.length, 1, 'the confirmation restated the area');
    assert.match(dialogs[0], /^Loa tại .*Hạc Thành.* sẽ phát ngay tiếng từ micrô của bạn\. Bắt đầu phát trực tiếp\?$/);
    assert.equal(posted.length, 1);
    assert.deepEqual(posted[0], { areas: [COMMUNE] });
    assert.equal(await page.getByTestId('live-panel').count(), 0, 'not on air');
    assert.equal(sockets.length, 0, 'no socket was opened');

    // The blocking session in the list, then stopped through the API.
    await page.locator(`[data-testid="live-session-${blocker.body.id}"][data-state="waiting"]`).waitFor();
    const stopped = await apiJson(page, `/api/v1/live/${blocker.body.id}/stop`, 'POST', {});
    assert.equal(stopped.status, 200, JSON.stringify(stopped.body));
    assert.equal(stopped.body.state, 'ended');
    assert.equal(stopped.body.end_reason, 'stopped');
    const row = page.locator(`[data-testid="live-session-${blocker.body.id}"][data-state="ended"]`);
    await row.waitFor({ timeout: 10_000 });
    assert.equal(await page.getByTestId(`live-session-reason-${blocker.body.id}`).getAttribute('data-reason'), 'stopped');
    assert.match(await page.getByTestId(`live-session-reason-${blocker.body.id}`).textContent(), /người phát bấm kết thúc/);
  });

  test('the admin goes live: the agent’s sink receives a growing Ogg Opus stream; “Kết thúc” ends it', async () => {
    await page.getByTestId('live-title').fill(TITLE);
    const before = streamFiles(sinkDir);
    const socketsBefore = sockets.length;
    await page.getByTestId('live-start').click();
    const panel = page.getByTestId('live-panel');
    await panel.waitFor();
    assert.deepEqual(posted.at(-1), { areas: [COMMUNE], title: TITLE });
    const id = await panel.getAttribute('data-id');
    assert.ok(id);
    await page.locator('[data-testid="live-panel"][data-state="on_air"]').waitFor({ timeout: 15_000 });
    assert.equal(await page.getByTestId('live-banner-text').textContent(), 'ĐANG PHÁT TRỰC TIẾP');
    assert.equal(await page.getByTestId('live-level').getAttribute('data-level'), 'province');
    assert.equal(await page.getByTestId('live-level').textContent(), 'Cấp tỉnh');
    assert.equal(await page.getByTestId('live-title-line').textContent(), TITLE);

    // One socket to the session's audio URL; each message one binary Opus packet.
    assert.equal(sockets.length, socketsBefore + 1);
    const sock = sockets.at(-1);
    assert.match(sock.url, new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/api/v1/live/${id}/audio\\?token=`));
    await until(() => sock.frames.length >= 50, 10_000, '50 packets sent');
    assert.ok(sock.frames.every((f) => f.binary), 'every message is binary');
    assert.ok(sock.frames.every((f) => f.size > 0 && f.size < 1_000), `each message is one Opus packet (sizes ${sock.frames.slice(0, 10).map((f) => f.size)})`);

    // The microphone is heard: the level meter moves, packets and bytes are counted.
    assert.ok(Number(await page.getByTestId('live-meter').getAttribute('data-peak')) > 0.05, 'the fake tone reaches the meter');
    await until(async () => Number(await page.getByTestId('live-sent-packets').getAttribute('data-value')) >= 50, 5_000, 'the sent counter');
    assert.ok(Number(await page.getByTestId('live-sent-bytes').getAttribute('data-value')) > 1_000);
    await until(async () => Number(await page.getByTestId('live-server-packets').getAttribute('data-value')) > 0, 5_000, 'server packets on the page');
    assert.equal(await page.getByTestId('live-server-state').getAttribute('data-value'), 'on_air');
    assert.ok(Number(await page.getByTestId('live-elapsed').getAttribute('data-seconds')) > 0);
    const session = await apiJson(page, `/api/v1/live/${id}`);
    assert.equal(session.status, 200);
    assert.equal(session.body.state, 'on_air');
    assert.equal(session.body.title, TITLE);
    assert.deepEqual(session.body.areas, [COMMUNE]);
    assert.equal(session.body.operator, server.admin.username);
    assert.equal(session.body.audio_url, undefined, 'the one-time audio URL is only in the POST answer');
    assert.ok(session.body.devices >= 1, `devices ${session.body.devices}`);
    assert.equal(await page.getByTestId('live-stream-url').inputValue(), session.body.stream_url);
    assert.match(session.body.stream_url, /\/live\/[^/]+\.ogg$/);

    // The agent's file sink: an Ogg Opus stream that keeps growing.
    const expected = sinkFileName(session.body.stream_url);
    const grown = () => {
      const now = streamFiles(sinkDir);
      for (const [name, size] of now) if (size > (before.get(name) ?? 0)) return name;
      return null;
    };
    const file = await until(grown, 15_000, `a stream-*.bin file in ${sinkDir}`);
    if (file !== expected) console.log(`note: sink file ${file}, expected name from stream_url ${expected}`);
    const offset = before.get(file) ?? 0;
    await until(() => statSync(join(sinkDir, file)).size - offset > 8_192, 15_000, 'more than 8 KB of stream');
    const bytes = readFileSync(join(sinkDir, file)).subarray(offset);
    assert.equal(bytes.subarray(0, 4).toString('latin1'), 'OggS', 'the stream starts with an Ogg page');
    assert.ok(bytes.includes(Buffer.from('OpusHead')), 'an OpusHead header');
    assert.ok(bytes.includes(Buffer.from('OpusTags')), 'an OpusTags header');
    const s1 = statSync(join(sinkDir, file)).size;
    await sleep(3_000);
    const s2 = statSync(join(sinkDir, file)).size;
    assert.ok(s2 > s1 + 3_000, `the stream keeps growing (${s1} → ${s2} bytes in 3 s)`);

    // The board: the device plays the session; the server counts a listener.
    await page.locator(`[data-testid="live-board-row-${deviceId}"][data-state="playing"]`).waitFor({ timeout: 20_000 });
    assert.equal(await page.getByTestId(`live-board-state-${deviceId}`).textContent(), 'Đang phát');
    await until(async () => Number(await page.getByTestId('live-listeners').getAttribute('data-value')) >= 1, 10_000, 'a listener on the page');
    const row = page.locator(`[data-testid="live-session-${id}"][data-state="on_air"]`);
    await row.waitFor({ timeout: 10_000 });
    assert.equal(await page.getByTestId(`live-session-level-${id}`).textContent(), 'Cấp tỉnh');
    assert.equal(await page.getByTestId(`live-session-stop-${id}`).count(), 1, 'the operator may stop it from the list');
    await page.screenshot({ path: screenshotPath('live-on-air.png'), fullPage: true });

    // “Kết thúc”.
    assert.equal(await page.getByTestId('live-stop').textContent(), 'Kết thúc');
    await page.getByTestId('live-stop').click();
    await page.locator('[data-testid="live-panel"][data-state="ended"]').waitFor({ timeout: 10_000 });
    assert.equal(await page.getByTestId('live-end').getAttribute('data-reason'), 'stopped');
    assert.equal(await page.getByTestId('live-banner-text').textContent(), 'ĐÃ KẾT THÚC');
    const ended = await apiJson(page, `/api/v1/live/${id}`);
    assert.equal(ended.body.state, 'ended');
    assert.equal(ended.body.end_reason, 'stopped');
    assert.ok(ended.body.ended_at, 'ended_at is set');
    await until(() => sock.closed, 5_000, 'the socket to close');
    assert.equal(await page.getByTestId('live-socket').getAttribute('data-value'), 'closed');
    const board = page.locator(`[data-testid="live-board-row-${deviceId}"]:is([data-state="interrupted"], [data-state="played"])`);
    await board.waitFor({ timeout: 20_000 });
    await page.locator(`[data-testid="live-session-${id}"][data-state="ended"]`).waitFor({ timeout: 10_000 });
    // The file stops growing (the agent's fetch ended).
    await sleep(1_500);
    const e1 = statSync(join(sinkDir, file)).size;
    await sleep(3_000);
    const e2 = statSync(join(sinkDir, file)).size;
    assert.equal(e2, e1, `the stream file no longer grows (${e1} → ${e2})`);
    await page.screenshot({ path: screenshotPath('live-ended.png'), fullPage: true });
  });

  test('leaving the page while on air ends the session and stops polling', async () => {
    await page.getByTestId('live-again').click();
    await page.getByTestId('live-form').waitFor();
    await pickUnit(page, 'live-areas-add', COMMUNE);
    await page.getByTestId(`live-areas-${COMMUNE}`).waitFor();
    await page.getByTestId('live-start').click();
    await page.locator('[data-testid="live-panel"][data-state="on_air"]').waitFor({ timeout: 15_000 });
    const id = await page.getByTestId('live-panel').getAttribute('data-id');
    const sock = sockets.at(-1);
    await page.getByTestId('nav-units').click();
    await until(() => sock.closed, 5_000, 'the socket to close on leaving');
    const got = await until(
      async () => {
        const r = await apiJson(page, `/api/v1/live/${id}`);
        return r.body.state === 'ended' ? r.body : null;
      },
      10_000,
      'the session to end',
    );
    assert.ok(['stopped', 'disconnected', 'closed'].includes(got.end_reason), `end_reason ${got.end_reason}`);
    await sleep(500);
    const count = sessionPolls.filter(([sid]) => sid === id).length;
    await sleep(4_500);
    assert.equal(sessionPolls.filter(([sid]) => sid === id).length, count, 'no polling once the page is left');
  });

  test('a commune operator pre-empted by a province session is told so', async () => {
    const op = await server.createUser({ username: 'vanhanh.hacthanh', name: 'Vận hành Hạc Thành', unit: COMMUNE, roles: [`station_operator@${COMMUNE}`] });
    const opCtx = await newPage(browser, server.baseURL);
    watchLive(opCtx.page, server.baseURL);
    await firstLogin(opCtx.page, op.username, op.password, NEW_PW);
    await opCtx.page.getByTestId('nav-live').click();
    await pickUnit(opCtx.page, 'live-areas-add', COMMUNE);
    await opCtx.page.getByTestId(`live-areas-${COMMUNE}`).waitFor();
    await opCtx.page.getByTestId('live-start').click();
    await opCtx.page.locator('[data-testid="live-panel"][data-state="on_air"]').waitFor({ timeout: 15_000 });
    assert.equal(await opCtx.page.getByTestId('live-level').getAttribute('data-level'), 'commune');
    assert.equal(await opCtx.page.getByTestId('live-level').textContent(), 'Cấp xã');
    const opSession = await opCtx.page.getByTestId('live-panel').getAttribute('data-id');

    // The province admin goes live on the same commune (through the API: it never sends audio).
    const province = await apiJson(page, '/api/v1/live', 'POST', { areas: [COMMUNE] });
    assert.equal(province.status, 201, JSON.stringify(province.body));
    await opCtx.page.locator('[data-testid="live-panel"][data-state="ended"]').waitFor({ timeout: 10_000 });
    await opCtx.page.locator('[data-testid="live-end"][data-reason="preempted"]').waitFor({ timeout: 10_000 });
    assert.match(await opCtx.page.getByTestId('live-end').textContent(), /nhường cho phát cấp cao hơn/);
    assert.match(await opCtx.page.getByTestId('live-panel-msg').textContent(), /Máy chủ đã (đóng kết nối âm thanh|kết thúc)|đã kết thúc trên máy chủ/);
    if (process.env.NGUON_TEST_VERBOSE) console.log('pre-empted operator was told:', await opCtx.page.getByTestId('live-panel-msg').textContent());
    const ended = await apiJson(page, `/api/v1/live/${opSession}`);
    assert.equal(ended.body.end_reason, 'preempted');
    // The operator of a commune may not stop the province's session: no stop button on it.
    const row = opCtx.page.locator(`[data-testid="live-session-${province.body.id}"]`);
    await row.waitFor({ timeout: 10_000 });
    assert.equal(await opCtx.page.getByTestId(`live-session-stop-${province.body.id}`).count(), 0);
    assert.deepEqual(opCtx.errors, []);
    await opCtx.context.close();
    const stopped = await apiJson(page, `/api/v1/live/${province.body.id}/stop`, 'POST', {});
    assert.equal(stopped.status, 200, JSON.stringify(stopped.body));
  });

  test('a refused audio token is told and the session ended', async () => {
    // The answer to POST /live reaches the page with a spoilt one-time token.
    const spoil = async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      if (res.status() === 201) body.audio_url = body.audio_url.replace(/token=[^&]*/, 'token=0000');
      await route.fulfill({ response: res, json: body });
    };
    await page.route('**/api/v1/live', spoil);
    try {
      await page.getByTestId('nav-live').click();
      await page.getByTestId('live-form').waitFor();
      await pickUnit(page, 'live-areas-add', COMMUNE);
      await page.getByTestId(`live-areas-${COMMUNE}`).waitFor();
      await page.getByTestId('live-start').click();
      await page.getByTestId('live-panel').waitFor();
      const id = await page.getByTestId('live-panel').getAttribute('data-id');
      await page.locator('[data-testid="live-panel"][data-state="ended"]').waitFor({ timeout: 10_000 });
      // Closed with 1008 after the handshake (the contract), or the handshake refused (403
      // invalid_token, which the browser reports as 1006): either way the operator is told.
      assert.match(await page.getByTestId('live-panel-msg').textContent(), /^Máy chủ (từ chối|không nhận) kết nối âm thanh \(mã kết nối dùng một lần/);
      assert.equal(await page.getByTestId('live-sent-packets').getAttribute('data-value'), '0', 'nothing was sent');
      const got = await until(
        async () => {
          const r = await apiJson(page, `/api/v1/live/${id}`);
          return r.body.state === 'ended' ? r.body : null;
        },
        5_000,
        'the session to end',
      );
      assert.equal(got.packets, 0);
    } finally {
      await page.unroute('**/api/v1/live', spoil);
    }
  });

  test('no WebCodecs encoder, or the microphone refused: a precise message and nothing sent', async () => {
    for (const [script, code, text] of [
      ['delete window.AudioEncoder;', 'no_encoder', /không hỗ trợ mã hoá âm thanh Opus \(WebCodecs AudioEncoder\)/],
      [
        "navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));",
        'mic_denied',
        /Trình duyệt không cho phép dùng micrô nên chưa phát gì/,
      ],
    ]) {
      const ctx = await newPage(browser, server.baseURL);
      watchLive(ctx.page, server.baseURL);
      await ctx.context.addInitScript(script);
      const sent = [];
      ctx.page.on('request', (r) => {
        if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/live') sent.push(r.url());
      });
      await login(ctx.page, server.admin.username, server.admin.password);
      await ctx.page.goto('/#/live');
      await ctx.page.getByTestId('live-form').waitFor();
      if (code === 'no_encoder') assert.match(await ctx.page.getByTestId('live-unsupported').textContent(), text);
      await pickUnit(ctx.page, 'live-areas-add', COMMUNE);
      await ctx.page.getByTestId(`live-areas-${COMMUNE}`).waitFor();
      await ctx.page.getByTestId('live-start').click();
      const msg = ctx.page.locator(`[data-testid="live-msg"][data-code="${code}"]`);
      await msg.waitFor();
      assert.match(await msg.textContent(), text);
      assert.equal(sent.length, 0, `${code}: nothing was posted`);
      assert.equal(await ctx.page.getByTestId('live-panel').count(), 0);
      assert.deepEqual(ctx.errors, []);
      await ctx.context.close();
    }
  });

  test('a 360 px phone screen: the form and the on-air panel without horizontal scrolling', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto('/#/units');
    await page.goto('/#/live');
    await page.getByTestId('live-form').waitFor();
    await pickUnit(page, 'live-areas-add', COMMUNE);
    await page.getByTestId(`live-areas-${COMMUNE}`).waitFor();
    let overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `no horizontal scrolling of the form on a phone (overflow ${overflow}px)`);
    await page.screenshot({ path: screenshotPath('live-phone-form.png'), fullPage: true });
    await page.getByTestId('live-start').click();
    await page.locator('[data-testid="live-panel"][data-state="on_air"]').waitFor({ timeout: 15_000 });
    await page.locator(`[data-testid="live-board-row-${deviceId}"]`).waitFor();
    overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `no horizontal scrolling of the on-air panel on a phone (overflow ${overflow}px)`);
    await page.screenshot({ path: screenshotPath('live-phone-on-air.png'), fullPage: true });
    await page.getByTestId('live-stop').click();
    await page.locator('[data-testid="live-panel"][data-state="ended"]').waitFor({ timeout: 10_000 });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('no page error, no CSP violation, nothing fetched from outside the server', async () => {
    assert.deepEqual(errors, []);
    assert.deepEqual(cspViolations, []);
    assert.deepEqual(foreignRequests, []);
    await context.close();
  });
});
