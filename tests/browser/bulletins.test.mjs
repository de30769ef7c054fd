// Content screens (bản tin) against the real server: a commune editor writes a bulletin whose
// body has numbers, dates and abbreviations, checks the spoken text, synthesizes it with the
// Southern voice (Opus served with Range), submits; a different approver sees it in the queue and
// the bell, approves and publishes; the editor is notified. A provincial bulletin reaches the
// commune's source library; a sibling commune's bulletin stays invisible; the four-eyes rule is
// explained; the stored Opus is checked with opusinfo (duration) and nguon-admin media-info
// (loudness).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { firstLogin, jsonLine, launchBrowser, newPage, pcmWav, screenshotPath, startServer } from './harness.mjs';

const run = promisify(execFile);

const BODY =
  'UBND phường Hạc Thành thông báo: ngày 28/6/2024 lúc 7h30 tiêm chủng tại trạm y tế, hotline 0912 345 678.';
const TITLE = 'Thông báo tiêm chủng mở rộng tháng 6';
const PROVINCE_TITLE = 'Tỉnh Thanh Hóa: phòng chống bão số 3';
const NEW_PW = 'Mat-khau-moi-2026!';

/** Fills the bulletin editor (already open) and saves; returns the new bulletin's id. */
async function writeBulletin(page, { title, summary = '', body, category, priority = 'normal', penName = '', source = '' }) {
  await page.getByTestId('bulletin-editor').waitFor();
  await page.getByTestId('ed-title').fill(title);
  if (summary) await page.getByTestId('ed-summary').fill(summary);
  await page.getByTestId('ed-body').fill(body);
  await page.getByTestId('ed-category').selectOption(category);
  await page.getByTestId('ed-priority').selectOption(priority);
  if (penName) await page.getByTestId('ed-pen-name').fill(penName);
  if (source) await page.getByTestId('ed-source').fill(source);
  await page.getByTestId('ed-save').click();
  await page.getByTestId('detail-title').filter({ hasText: title }).waitFor();
  const id = Number(await page.getByTestId('bulletin-detail').getAttribute('data-id'));
  assert.ok(id > 0, 'the detail shows the new bulletin id');
  return id;
}

async function newBulletin(page, fields) {
  await page.getByTestId('nav-bulletins').click();
  await page.getByTestId('bulletin-new').click();
  return writeBulletin(page, fields);
}

async function action(page, name, status) {
  await page.getByTestId(`action-${name}`).click();
  await page.getByTestId('detail-status').and(page.locator(`[data-status="${status}"]`)).waitFor();
}

/** A mono 16-bit PCM WAV: a 440 Hz tone of `seconds`; `truncate` cuts the data short. */
function wav(seconds, { rate = 16000, truncate = 0 } = {}) {
  const all = pcmWav(seconds, rate, (t) => 0.3 * Math.sin(2 * Math.PI * 440 * t));
  return truncate ? all.subarray(0, all.length - truncate) : all;
}

async function apiJson(page, path) {
  const res = await page.request.get(path);
  return { status: res.status(), body: res.status() === 200 ? await res.json() : await res.text() };
}

describe('web console: bulletins (bản tin)', { timeout: 300_000 }, () => {
  let server;
  let browser;
  const users = {};
  const pages = {};
  let bulletinId = 0;
  let mediaId = '';
  let audioSeconds = 0;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    const specs = [
      ['editor', 'bientap.hacthanh', 'Biên tập Hạc Thành', '14797', ['editor@14797']],
      ['approver', 'duyet.hacthanh', 'Duyệt Hạc Thành', '14797', ['approver@14797']],
      ['provEditor', 'bientap.tinh', 'Biên tập Sở', '38', ['editor@38']],
      ['provApprover', 'duyet.tinh', 'Duyệt Sở', '38', ['approver@38']],
      ['both', 'kiemnhiem.hacthanh', 'Kiêm nhiệm Hạc Thành', '14797', ['editor@14797', 'approver@14797']],
      ['sibling', 'bientap.hailinh', 'Biên tập Hải Lĩnh', '16597', ['editor@16597']],
    ];
    for (const [key, username, name, unit, roles] of specs) {
      users[key] = await server.createUser({ username, name, unit, roles });
    }
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const signIn = async (key) => {
    const p = await newPage(browser, server.baseURL);
    await firstLogin(p.page, users[key].username, users[key].password, NEW_PW);
    pages[key] = p;
    return p.page;
  };

  test('the commune editor signs in (forced password change) and sees the content navigation', async () => {
    const page = await signIn('editor');
    assert.equal(await page.getByTestId('nav-bulletins').textContent(), 'Bản tin');
    assert.equal(await page.getByTestId('nav-library').textContent(), 'Thư viện nguồn');
    assert.equal(await page.getByTestId('nav-approvals').count(), 0, 'an editor without approver role sees no approval queue');
    await page.getByTestId('bell').waitFor();
  });

  test('the editor writes a bulletin; an API field error is shown under its field', async () => {
    const { page } = pages.editor;
    await page.getByTestId('nav-bulletins').click();
    await page.getByTestId('bulletin-new').click();
    await page.getByTestId('bulletin-editor').waitFor();
    assert.equal(await page.getByTestId('ed-owner-selected').textContent(), 'Đã chọn: Phường Hạc Thành (14797)');
    assert.equal(await page.getByTestId('ed-language').inputValue(), 'vi');
    await page.getByTestId('ed-title').fill(TITLE);
    await page.getByTestId('ed-summary').fill('Tiêm chủng cho trẻ dưới 5 tuổi tại trạm y tế phường.');
    await page.getByTestId('ed-body').fill(BODY);
    await page.getByTestId('ed-category').selectOption('local_plans');
    await page.getByTestId('ed-priority').selectOption('priority');
    await page.getByTestId('ed-pen-name').fill('Thu Hà');
    await page.getByTestId('ed-source').fill('Trạm y tế phường Hạc Thành');
    await page.getByTestId('ed-valid-from').fill('2024-06-20T07:00');
    await page.getByTestId('ed-valid-until').fill('2030-06-28T17:00');
    // A language tag the server refuses: the 422 names the field.
    await page.getByTestId('ed-language').fill('Tiếng Việt');
    await page.getByTestId('ed-save').click();
    const langError = page.getByTestId('ed-language-error');
    await langError.waitFor();
    assert.match(await langError.textContent(), /language/);
    assert.equal(await page.getByTestId('ed-language').getAttribute('aria-invalid'), 'true');
    await page.getByTestId('ed-language').fill('vi');
    await page.screenshot({ path: screenshotPath('bulletin-editor.png'), fullPage: true });
    await page.getByTestId('ed-save').click();
    await page.getByTestId('detail-title').filter({ hasText: TITLE }).waitFor();
    await page.getByTestId('flash').filter({ hasText: 'Đã tạo bản tin.' }).waitFor();
    bulletinId = Number(await page.getByTestId('bulletin-detail').getAttribute('data-id'));
    assert.ok(bulletinId > 0);
    assert.equal(await page.getByTestId('detail-status').textContent(), 'Bản nháp');
    assert.equal(await page.getByTestId('detail-priority').textContent(), 'Ưu tiên');
    assert.equal(await page.getByTestId('detail-body').textContent(), BODY);
    const { body } = await apiJson(page, `/api/v1/bulletins/${bulletinId}`);
    assert.equal(body.valid_from, '2024-06-20T00:00:00Z', 'datetime-local is sent as Vietnam time (+07:00)');
    assert.equal(body.valid_until, '2030-06-28T10:00:00Z');
    assert.equal(body.pen_name, 'Thu Hà');
    assert.equal(body.owner_unit, '14797');
  });

  test('the spoken text spells out numbers, dates and abbreviations', async () => {
    const { page } = pages.editor;
    await page.getByTestId('spoken-text-toggle').click();
    const spoken = page.getByTestId('spoken-text');
    await spoken.waitFor();
    const text = await spoken.textContent();
    assert.match(text, /Ủy ban nhân dân phường Hạc Thành/);
    assert.match(text, /hai mươi tám tháng sáu/);
    assert.match(text, /bảy giờ ba mươi/);
    assert.doesNotMatch(text, /UBND|28\/6/);
  });

  test('synthesis with the Southern voice gives a playable Opus file served with Range', async () => {
    const { page } = pages.editor;
    await page.getByTestId('synth-voice').selectOption('south');
    assert.equal(await page.getByTestId('synth-rate').inputValue(), '150');
    assert.equal(await page.getByTestId('synth-pitch').inputValue(), '50');
    await page.getByTestId('synth-submit').click();
    await page.getByTestId('synth-busy').waitFor({ state: 'attached', timeout: 5_000 }).catch(() => {
      /* synthesis may finish before the spinner is observed */
    });
    const player = page.getByTestId('audio-player');
    await player.waitFor({ timeout: 60_000 });
    await page.getByTestId('audio-msg').filter({ hasText: 'Đã tạo giọng đọc.' }).waitFor();
    audioSeconds = Number(await page.getByTestId('audio-duration').getAttribute('data-seconds'));
    assert.ok(audioSeconds > 2, `audio lasts ${audioSeconds} s`);
    assert.match(await page.getByTestId('audio-origin').textContent(), /Giọng Nam/);
    // The browser decodes the stream's metadata (Opus in Ogg, fetched with Range by Chromium).
    const decoded = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const a = document.querySelector('[data-testid="audio-player"]');
          if (a.readyState >= 1) return resolve(a.duration);
          a.addEventListener('loadedmetadata', () => resolve(a.duration), { once: true });
          a.addEventListener('error', () => resolve(-1), { once: true });
          a.load();
        }),
    );
    assert.ok(Math.abs(decoded - audioSeconds) < 0.5, `the browser decodes ${decoded} s, the API says ${audioSeconds} s`);

    const src = await player.getAttribute('src');
    const { body } = await apiJson(page, `/api/v1/bulletins/${bulletinId}`);
    mediaId = body.audio.media_id;
    assert.equal(body.audio.voice, 'south');
    assert.equal(src, `/api/v1/media/${mediaId}`);
    const full = await page.request.get(src);
    assert.equal(full.status(), 200);
    assert.equal(full.headers()['content-type'], 'audio/ogg');
    const bytes = await full.body();
    assert.equal(bytes.subarray(0, 4).toString('latin1'), 'OggS');
    const part = await page.request.get(src, { headers: { Range: 'bytes=0-99' } });
    assert.equal(part.status(), 206);
    assert.equal(part.headers()['content-range'], `bytes 0-99/${bytes.length}`);
    assert.equal((await part.body()).length, 100);
    await page.screenshot({ path: screenshotPath('bulletin-detail-audio.png'), fullPage: true });
  });

  test('the editor submits the bulletin', async () => {
    const { page } = pages.editor;
    await action(page, 'submit', 'submitted');
    await page.getByTestId('detail-msg').filter({ hasText: 'Đã gửi duyệt.' }).waitFor();
    assert.equal(await page.getByTestId('action-edit').count(), 0, 'a submitted bulletin cannot be edited');
    await page.getByTestId('tl-submitted').locator('time').waitFor();
  });

  test('the bulletin list filters and shows badges', async () => {
    const { page } = pages.editor;
    await page.getByTestId('nav-bulletins').click();
    const row = page.getByTestId(`bulletin-row-${bulletinId}`);
    await row.waitFor();
    assert.equal(await page.getByTestId(`bulletin-status-${bulletinId}`).textContent(), 'Chờ duyệt');
    assert.equal(await page.getByTestId(`bulletin-priority-${bulletinId}`).textContent(), 'Ưu tiên');
    assert.match(await row.textContent(), /Phường Hạc Thành/);
    await page.getByTestId('filter-q').fill('tiem chung');
    await page.getByTestId('filter-apply').click();
    await row.waitFor();
    await page.getByTestId('filter-status').selectOption('draft');
    await page.getByTestId('bulletins-empty').waitFor();
    await page.getByTestId('filter-reset').click();
    await row.waitFor();
    await page.screenshot({ path: screenshotPath('bulletins-list.png'), fullPage: true });
  });

  test('a different approver sees it in the bell and the queue, approves and publishes it', async () => {
    const page = await signIn('approver');
    await page.getByTestId('nav-approvals').waitFor();
    await page.getByTestId('bell-count').filter({ hasText: /^[1-9]/ }).waitFor();
    await page.getByTestId('bell').click();
    const item = page.locator(`[data-testid^="bell-item-"][data-bulletin="${bulletinId}"][data-kind="bulletin.submitted"]`);
    await item.waitFor();
    assert.match(await item.textContent(), /Chờ duyệt/);
    await page.getByTestId('bell').click();

    await page.getByTestId('nav-approvals').click();
    const queued = page.getByTestId(`queue-item-${bulletinId}`);
    await queued.waitFor();
    assert.match(await queued.textContent(), new RegExp(TITLE));
    await page.screenshot({ path: screenshotPath('approval-queue.png'), fullPage: true });

    await page.getByTestId('bell').click();
    await item.click();
    await page.getByTestId('detail-title').filter({ hasText: TITLE }).waitFor();
    await page.getByTestId('audio-player').waitFor();
    assert.equal(await page.getByTestId('synth-form').count(), 0, 'an approver cannot synthesize');
    await action(page, 'approve', 'approved');
    await page.getByTestId('tl-approved').locator('time').waitFor();
    await action(page, 'publish', 'published');
    await page.getByTestId('tl-published').locator('time').waitFor();
    await page.getByTestId('bell').click();
    await page.getByTestId('bell-mark-all').click();
    await page.getByTestId('bell-empty').waitFor();
    assert.equal(await page.getByTestId('bell-count').isVisible(), false);
  });

  test('the editor is notified that the bulletin was approved', async () => {
    const { page } = pages.editor;
    await page.getByTestId('nav-library').click(); // navigation refreshes the bell
    await page.getByTestId('bell-count').filter({ hasText: /^[1-9]/ }).waitFor();
    await page.getByTestId('bell').click();
    const approved = page.locator(`[data-testid^="bell-item-"][data-bulletin="${bulletinId}"][data-kind="bulletin.approved"]`);
    await approved.waitFor();
    assert.match(await approved.textContent(), /Đã duyệt/);
    await approved.click();
    await page.getByTestId('detail-status').filter({ hasText: 'Đã phát hành' }).waitFor();
    // Editing a published bulletin starts a new revision: the UI warns first.
    await page.getByTestId('detail-edit-warning').waitFor();
  });

  test('editing the published bulletin starts revision 2; the approver returns it with a reason', async () => {
    const { page } = pages.editor;
    await page.getByTestId('action-edit').click();
    const warning = page.getByTestId('ed-revision-warning');
    await warning.waitFor();
    assert.match(await warning.textContent(), /phiên bản 2/);
    await page.getByTestId('ed-source').fill('Trạm y tế phường Hạc Thành (cơ sở 2)');
    await page.getByTestId('ed-save').click();
    await page.getByTestId('detail-revision').filter({ hasText: 'Phiên bản 2' }).waitFor();
    assert.equal(await page.getByTestId('detail-status').textContent(), 'Bản nháp');
    await page.getByTestId('revision-1').waitFor();
    await page.getByTestId('audio-player').waitFor(); // only the source changed: the spoken text and its audio stay
    await action(page, 'submit', 'submitted');

    const approver = pages.approver.page;
    await approver.getByTestId('nav-approvals').click();
    await approver.getByTestId(`queue-return-${bulletinId}`).click();
    await approver.getByTestId(`queue-reason-${bulletinId}`).fill('Ghi rõ giờ kết thúc buổi tiêm.');
    await approver.getByTestId(`queue-return-confirm-${bulletinId}`).click();
    await approver.getByTestId('queue-msg').filter({ hasText: 'Đã trả lại bản tin.' }).waitFor();
    assert.equal(await approver.getByTestId(`queue-item-${bulletinId}`).count(), 0);

    await page.getByTestId('nav-bulletins').click();
    await page.getByTestId(`bulletin-link-${bulletinId}`).click();
    const reason = page.getByTestId('detail-return-reason');
    await reason.waitFor();
    assert.equal(await reason.textContent(), 'Lý do trả lại: Ghi rõ giờ kết thúc buổi tiêm.');
    await page.getByTestId('tl-returned').waitFor();
    await page.getByTestId('bell').click();
    await page.locator(`[data-testid^="bell-item-"][data-bulletin="${bulletinId}"][data-kind="bulletin.returned"]`).waitFor();
    await page.getByTestId('bell-mark-all').click();
    await page.getByTestId('bell-empty').waitFor();
    await page.getByTestId('bell').click();
  });

  test('the bulletin detail fits a phone screen', async () => {
    const phone = await newPage(browser, server.baseURL, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    pages.phone = phone;
    const { page } = phone;
    await page.goto('/');
    await page.getByTestId('login-username').fill(users.editor.username);
    await page.getByTestId('login-password').fill(NEW_PW);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('nav-bulletins').waitFor();
    await page.goto(`/#/bulletins/${bulletinId}`);
    await page.getByTestId('audio-player').waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'the detail scrolls sideways on a phone');
    await page.screenshot({ path: screenshotPath('bulletin-detail-phone.png'), fullPage: false });
    await page.getByTestId('bell').click();
    await page.getByTestId('bell-panel').waitFor();
    const box = await page.getByTestId('bell-panel').boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 390, `the bell panel fits the phone screen (${box.x}…${box.x + box.width})`);
    await page.getByTestId('bell').click();
    await page.getByTestId('nav-bulletins').click();
    await page.getByTestId(`bulletin-row-${bulletinId}`).waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'the list scrolls sideways on a phone');
  });

  test('the stored Opus lasts what the API says (opusinfo)', async () => {
    assert.ok(mediaId, 'the media id was recorded');
    const { page } = pages.editor;
    const res = await page.request.get(`/api/v1/media/${mediaId}`);
    assert.equal(res.status(), 200);
    const dir = mkdtempSync(join(tmpdir(), 'nguon-opus-'));
    try {
      const file = join(dir, `${mediaId}.opus`);
      writeFileSync(file, await res.body());
      const { stdout } = await run('opusinfo', [file]);
      const m = /Playback length:\s*(\d+)m:([\d.]+)s/.exec(stdout);
      assert.ok(m, `opusinfo printed no playback length:\n${stdout}`);
      const seconds = Number(m[1]) * 60 + Number(m[2]);
      assert.ok(Math.abs(seconds - audioSeconds) <= 0.1, `opusinfo: ${seconds} s, bulletin.audio.seconds: ${audioSeconds} s`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the stored Opus is normalised to -16 LUFS (nguon-admin media-info)', async (t) => {
    assert.ok(mediaId, 'the media id was recorded');
    const help = await server.adminCli('--help');
    if (!/^\s*media-info\b/m.test(help.stdout)) {
      t.skip('nguon-admin has no media-info subcommand in this build: loudness not checked');
      return;
    }
    const { stdout } = await server.adminCli('media-info', '--id', mediaId);
    const info = jsonLine(stdout, (o) => 'loudness_lufs' in o);
    assert.ok(info, `media-info printed no JSON with loudness_lufs:\n${stdout}`);
    assert.ok(Math.abs(info.seconds - audioSeconds) <= 0.1, `media-info: ${info.seconds} s, API: ${audioSeconds} s`);
    assert.ok(
      Math.abs(info.loudness_lufs - -16) <= 1,
      `integrated loudness ${info.loudness_lufs} LUFS (true peak ${info.true_peak_dbtp} dBTP) is not within ±1 LU of -16`,
    );
  });

  test('a provincial bulletin reaches the commune editor’s source library', async () => {
    const prov = await signIn('provEditor');
    await prov.getByTestId('nav-bulletins').click();
    await prov.getByTestId('bulletin-new').click();
    await prov.getByTestId('bulletin-editor').waitFor();
    assert.equal(await prov.getByTestId('ed-owner-selected').textContent(), 'Đã chọn: Tỉnh Thanh Hóa (38)');
    const id = await writeBulletin(prov, {
      title: PROVINCE_TITLE,
      summary: 'Các xã ven biển chủ động sơ tán dân.',
      body: 'Bão số 3 dự kiến đổ bộ vào Thanh Hóa đêm nay.\n\nCác xã ven biển khẩn trương sơ tán người dân.',
      category: 'disaster_emergency',
      priority: 'emergency',
      source: 'Ban Chỉ huy phòng chống thiên tai tỉnh',
    });
    await action(prov, 'submit', 'submitted');

    const approver = await signIn('provApprover');
    await approver.goto(`/#/bulletins/${id}`);
    await action(approver, 'approve', 'approved');
    await action(approver, 'publish', 'published');

    const { page } = pages.editor;
    await page.getByTestId('nav-library').click();
    const row = page.getByTestId(`bulletin-row-${id}`);
    await row.waitFor();
    assert.equal(await page.getByTestId(`bulletin-priority-${id}`).textContent(), 'Khẩn cấp');
    assert.match(await row.textContent(), /Tỉnh Thanh Hóa/);
    assert.equal(await page.getByTestId(`bulletin-row-${bulletinId}`).count(), 0, 'the commune’s own bulletin is not in its library');
    await page.screenshot({ path: screenshotPath('source-library.png'), fullPage: true });
    await page.getByTestId(`bulletin-link-${id}`).click();
    await page.getByTestId('detail-title').filter({ hasText: PROVINCE_TITLE }).waitFor();
    await page.getByTestId('detail-read-only').waitFor();
    assert.equal(await page.getByTestId('synth-form').count(), 0);
  });

  test('a bulletin of a sibling commune (16597) is invisible to the 14797 editor', async () => {
    const sib = await signIn('sibling');
    const id = await newBulletin(sib, { title: 'Tin nội bộ Hải Lĩnh', body: 'Họp tổ dân phố tối thứ Bảy.', category: 'local_plans' });
    const { page } = pages.editor;
    const res = await page.request.get(`/api/v1/bulletins/${id}`);
    assert.equal(res.status(), 404);
    await page.goto(`/#/bulletins/${id}`);
    await page.getByTestId('detail-error').filter({ hasText: `#${id}` }).waitFor();
    await page.getByTestId('nav-bulletins').click();
    await page.getByTestId(`bulletin-row-${bulletinId}`).waitFor();
    assert.equal(await page.getByTestId(`bulletin-row-${id}`).count(), 0);
  });

  test('the four-eyes rule: an editor-approver cannot approve their own bulletin, and the UI says why', async () => {
    const page = await signIn('both');
    const id = await newBulletin(page, { title: 'Tự viết tự duyệt?', body: 'Nội dung thử nguyên tắc bốn mắt.', category: 'society' });
    await action(page, 'submit', 'submitted');
    await page.getByTestId('action-approve').click();
    const msg = page.getByTestId('detail-msg');
    await msg.filter({ hasText: 'Người viết không được tự duyệt bản tin của mình' }).waitFor();
    assert.equal(await msg.getAttribute('data-code'), 'four_eyes');
    assert.equal(await page.getByTestId('detail-status').textContent(), 'Chờ duyệt');
    // The same explanation from the queue's quick action, in English too.
    await page.getByTestId('lang-en').click();
    await page.getByTestId('nav-approvals').filter({ hasText: 'Approval queue' }).click();
    await page.getByTestId(`queue-approve-${id}`).click();
    await page.getByTestId(`queue-row-msg-${id}`).filter({ hasText: 'cannot approve it themselves' }).waitFor();
    await page.getByTestId('lang-vi').click();
  });

  test('audio upload: refused files are explained precisely, a WAV becomes the bulletin audio', async () => {
    const { page } = pages.both;
    await newBulletin(page, { title: 'Bản tin có tệp ghi âm', body: 'Đọc bằng giọng phát thanh viên.', category: 'society' });
    const msg = page.getByTestId('audio-msg');
    const upload = async (file) => {
      await page.getByTestId('audio-file').setInputFiles(file);
      await page.getByTestId('audio-upload').click();
    };
    await upload({ name: 'ghi-chu.wav', mimeType: 'audio/wav', buffer: Buffer.from('đây không phải âm thanh') });
    await msg.filter({ hasText: 'Tệp không phải là âm thanh hợp lệ.' }).waitFor();
    await upload({ name: 'cut.wav', mimeType: 'audio/wav', buffer: wav(1, { truncate: 4000 }) });
    await msg.filter({ hasText: 'Tệp âm thanh bị cắt cụt hoặc hỏng.' }).waitFor();
    await upload({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await msg.filter({ hasText: 'Loại tệp không được hỗ trợ.' }).waitFor();
    await upload({ name: 'ban-tin.wav', mimeType: 'audio/wav', buffer: wav(2.5) });
    await msg.filter({ hasText: 'Đã tải lên âm thanh.' }).waitFor();
    await page.getByTestId('audio-player').waitFor();
    assert.match(await page.getByTestId('audio-origin').textContent(), /tệp tải lên/);
    const seconds = Number(await page.getByTestId('audio-duration').getAttribute('data-seconds'));
    assert.ok(Math.abs(seconds - 2.5) < 0.1, `uploaded audio lasts ${seconds} s`);
  });

  test('a recording over 1 MiB (server.body_limit_bytes) uploads on the audio route (limit: audio.max_upload_bytes)', async () => {
    const { page } = pages.both;
    await newBulletin(page, { title: 'Bản ghi âm dài', body: 'Bản ghi âm buổi họp tổ dân phố.', category: 'society' });
    const big = wav(40); // 16 kHz mono 16-bit: 1.28 MB
    assert.ok(big.length > 1 << 20);
    await page.getByTestId('audio-file').setInputFiles({ name: 'hop-to-dan-pho.wav', mimeType: 'audio/wav', buffer: big });
    await page.getByTestId('audio-upload').click();
    const msg = page.getByTestId('audio-msg');
    await msg.filter({ hasText: /Đã tải lên âm thanh|Tệp quá lớn/ }).waitFor({ timeout: 60_000 });
    const text = await msg.textContent();
    assert.match(text, /Đã tải lên âm thanh/, `a ${big.length}-byte WAV was refused; the console shows: ${text}`);
    await page.getByTestId('audio-player').waitFor();
  });

  test('unit settings: the admin turns four-eyes off for 14797 and uploads an intro tune', async () => {
    const admin = await newPage(browser, server.baseURL);
    pages.admin = admin;
    const { page } = admin;
    await page.goto('/');
    await page.getByTestId('login-username').fill(server.admin.username);
    await page.getByTestId('login-password').fill(server.admin.password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('nav-units').waitFor();
    await page.goto('/#/units/14797');
    await page.getByTestId('unit-settings').waitFor();
    const fourEyes = page.getByTestId('settings-four-eyes');
    await page.waitForFunction(() => !document.querySelector('[data-testid="settings-four-eyes"]').disabled);
    assert.equal(await fourEyes.isChecked(), true, 'four-eyes is on by default');
    await fourEyes.uncheck();
    await page.getByTestId('settings-msg').filter({ hasText: 'Đã lưu cài đặt.' }).waitFor();
    const { body } = await apiJson(page, '/api/v1/units/14797/settings');
    assert.equal(body.four_eyes, false);

    await page.getByTestId('tune-file-intro').setInputFiles({ name: 'nhac-hieu.wav', mimeType: 'audio/wav', buffer: wav(3) });
    await page.getByTestId('tune-upload-intro').click();
    await page.getByTestId('settings-msg').filter({ hasText: 'Đã tải lên Nhạc mở đầu.' }).waitFor();
    const src = await page.getByTestId('tune-player-intro').locator('audio').getAttribute('src');
    assert.match(src, /^\/api\/v1\/media\/[0-9a-f]{64}$/);
    assert.equal((await page.request.get(src)).status(), 200);
    await page.getByTestId('tune-delete-intro').click();
    await page.getByTestId('settings-msg').filter({ hasText: 'Đã xoá Nhạc mở đầu.' }).waitFor();

    // With the rule off, the editor-approver may approve their own bulletin.
    const both = pages.both.page;
    await newBulletin(both, { title: 'Tự duyệt khi tắt bốn mắt', body: 'Đơn vị đã tắt nguyên tắc bốn mắt.', category: 'society' });
    await action(both, 'submit', 'submitted');
    await action(both, 'approve', 'approved');
    await fourEyes.check();
    await page.getByTestId('settings-msg').filter({ hasText: 'Đã lưu cài đặt.' }).waitFor();
  });

  test('no uncaught errors in any page', () => {
    for (const [key, p] of Object.entries(pages)) assert.deepEqual(p.errors, [], `page errors for ${key}`);
  });
});
