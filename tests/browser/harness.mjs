// Shared set-up for the browser tests: a real nguon-server on a fresh SQLite database (migrated,
// units of scope 38 imported, an admin created with nguon-admin), and headless Debian Chromium
// driven by playwright-core from web/node_modules.
//
// Environment:
//   NGUON_BIN_DIR        directory holding admin/nguon-admin and server/nguon-server
//                        (default: <repo>/build/dev/apps)
//   CHROMIUM             browser executable (default /usr/bin/chromium)

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..');
export const webDist = join(repoRoot, 'web', 'dist');
export const artifactsDir = join(here, 'artifacts');

const require = createRequire(join(repoRoot, 'web', 'package.json'));
const { chromium } = require('playwright-core');

const run = promisify(execFile);

export const binDir = process.env.NGUON_BIN_DIR || join(repoRoot, 'build', 'dev', 'apps');

function tomlString(s) {
  return JSON.stringify(s);
}

/** The first line of `stdout` that is a JSON object passing `test`, or null. */
export function jsonLine(stdout, test = () => true) {
  return (
    stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l);
        } catch {
          return null;
        }
      })
      .find((o) => o && test(o)) ?? null
  );
}

/**
 * Starts a server on a fresh database. Returns { baseURL, admin: {username,password}, stop(), log() }.
 */
/** A loopback TCP port that was free a moment ago. */
function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** A TOML value: strings quoted, numbers and booleans as they are, arrays of those. */
function tomlValue(v) {
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(', ')}]`;
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  return tomlString(String(v));
}

/**
 * Starts the server. With `{ broker: true }` it also starts a Mosquitto broker with the
 * dynamic-security plugin (scripts/broker.sh) on a free loopback port and turns the broadcast
 * capability on; stop() stops both.
 *
 * `mail: { port, ...more }` turns e-mail on, sent to an SMTP server on 127.0.0.1:port (e.g. the
 * sink of smtp_sink.mjs), from nguon@example.vn (the SMTP sender refuses a domain without a dot such as
 * "localhost"), the outbox polled every second; other keys of
 * the object are written as they are into [mail] (e.g. `retry_seconds: 1`).
 * `feedback: { ... }` writes [feedback] keys (e.g. `moderate_first_time: false`); with `mail` or
 * `feedback` the deadline job runs every 10 s unless `deadline_check_seconds` says otherwise.
 * `fixedPort: true` listens on a loopback port that was free a moment ago instead of port 0, so
 * that the URLs the server derives from its configured port (public_url: the devices' media base
 * URL, the live stream URL) reach it — needed when a real agent fetches from the server.
 */
export async function startServer({ broker = false, mail = null, feedback = null, fixedPort = false } = {}) {
  if (!existsSync(join(webDist, 'index.html'))) {
    throw new Error(`${webDist}/index.html is missing: run \`npm ci && npm run build\` in web/ first`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'nguon-browser-'));
  const config = join(dir, 'nguon.toml');
  writeFileSync(
    config,
    [
      '[server]',
      'listen = "127.0.0.1"',
      `port = ${fixedPort ? await freePort() : 0}`,
      `web_root = ${tomlString(webDist)}`,
      '[storage]',
      'backend = "sqlite"',
      `data_dir = ${tomlString(join(dir, 'var'))}`,
      `sqlite_path = ${tomlString(join(dir, 'nguon.sqlite'))}`,
      '[deployment]',
      'scope = "38"',
      '[security]',
      'argon2_profile = "min"',
      '',
    ].join('\n'),
  );
  if (mail) {
    const { port: mailPort, ...moreMail } = mail;
    if (!Number.isInteger(mailPort)) throw new Error('startServer({ mail: { port } }): the SMTP port is required');
    const settings = { enabled: true, host: '127.0.0.1', port: mailPort, from_address: 'nguon@example.vn', poll_seconds: 1, ...moreMail };
    writeFileSync(config, ['[mail]', ...Object.entries(settings).map(([k, v]) => `${k} = ${tomlValue(v)}`), ''].join('\n'), { flag: 'a' });
  }
  if (mail || feedback) {
    const settings = { deadline_check_seconds: 10, ...(feedback ?? {}) };
    writeFileSync(config, ['[feedback]', ...Object.entries(settings).map(([k, v]) => `${k} = ${tomlValue(v)}`), ''].join('\n'), { flag: 'a' });
  }
  const brokerDir = join(dir, 'broker');
  const brokerScript = join(repoRoot, 'scripts', 'broker.sh');
  if (broker) {
    const brokerPort = await freePort();
    await run('bash', [brokerScript, 'start', brokerDir, String(brokerPort)], { cwd: repoRoot, timeout: 30_000 });
    writeFileSync(
      config,
      [
        '[broker]',
        'enabled = true',
        `port = ${brokerPort}`,
        'username = "nguon-server"',
        `password_file = ${tomlString(join(brokerDir, 'server.password'))}`,
        '',
      ].join('\n'),
      { flag: 'a' },
    );
  }

  const adminBin = join(binDir, 'admin', 'nguon-admin');
  const serverBin = join(binDir, 'server', 'nguon-server');
  for (const bin of [adminBin, serverBin]) {
    if (!existsSync(bin)) throw new Error(`${bin} not found: build it (cmake --build build/dev --target nguon-server nguon-admin) or set NGUON_BIN_DIR`);
  }
  const adminCli = async (...a) => {
    try {
      return await run(adminBin, ['--config', config, ...a], { cwd: repoRoot, timeout: 120_000, maxBuffer: 16 << 20 });
    } catch (e) {
      throw new Error(`nguon-admin ${a.join(' ')} failed (exit ${e.code}):\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
    }
  };
  await adminCli('migrate');
  await adminCli('import-units');
  const { stdout } = await adminCli('create-admin', '--username', 'admin', '--unit', '38');
  const line = jsonLine(stdout, (o) => typeof o.password === 'string');
  if (!line) throw new Error(`create-admin printed no {"username","password"} JSON line on stdout:\n${stdout}`);
  const admin = { username: line.username ?? 'admin', password: line.password };
  const env = { ...process.env };
  const cmd = serverBin;
  const args = ['--config', config];

  const child = spawn(cmd, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logLines = [];
  const errLines = [];
  createInterface({ input: child.stderr }).on('line', (l) => errLines.push(l));
  const port = await new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not print {"msg":"listening","port":N} on stdout within 20 s.\nstdout:\n${logLines.join('\n')}\nstderr:\n${errLines.join('\n')}`)), 20_000);
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`server exited early (code ${code}, signal ${sig}).\nstdout:\n${logLines.join('\n')}\nstderr:\n${errLines.join('\n')}`));
    });
    createInterface({ input: child.stdout }).on('line', (l) => {
      logLines.push(l);
      if (!l.trim().startsWith('{')) return;
      try {
        const o = JSON.parse(l);
        if (o.msg === 'listening' && typeof o.port === 'number') {
          clearTimeout(timer);
          resolvePort(o.port);
        }
      } catch {
        /* not JSON */
      }
    });
  });
  child.removeAllListeners('exit');

  return {
    baseURL: `http://127.0.0.1:${port}`,
    admin,
    dir,
    config,
    /** Runs nguon-admin against this deployment; resolves to { stdout, stderr }. */
    adminCli,
    /**
     * Creates a user with `nguon-admin users create`; resolves to { username, password } (a
     * one-time password: the user must change it at first sign-in).
     */
    async createUser({ username, name, unit, roles }) {
      const args = ['users', 'create', '--username', username, '--name', name, '--unit', unit];
      for (const r of roles) args.push('--role', r);
      const { stdout } = await adminCli(...args);
      const created = jsonLine(stdout, (o) => typeof o.password === 'string');
      if (!created) throw new Error(`users create printed no {"username","password"} JSON line:\n${stdout}`);
      return { username: created.username ?? username, password: created.password };
    },
    log: () => [...logLines, ...errLines].join('\n'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      if (broker) await run('bash', [brokerScript, 'stop', brokerDir], { cwd: repoRoot }).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Chromium flags for a fake microphone (a periodic beep tone) granted without a permission prompt:
 * `launchBrowser({ args: FAKE_MEDIA_ARGS })`.
 */
export const FAKE_MEDIA_ARGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

/**
 * Headless Chromium. Playwright refuses a --user-data-dir argument with launch(); instead it
 * creates a fresh temporary profile directory for every launch and deletes it on close.
 * `args` are added to the default flags (e.g. FAKE_MEDIA_ARGS).
 */
export async function launchBrowser({ args = [] } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...args,
    ],
  });
}

/** A new page in a fresh context that records page errors (uncaught exceptions). */
export async function newPage(browser, baseURL, options = {}) {
  const context = await browser.newContext({ baseURL, locale: 'vi-VN', viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('dialog', (d) => void d.accept());
  return { context, page, errors };
}

/**
 * What the console must never do, collected from every page given to `watch`:
 * - `cspViolations`: console messages about the Content-Security-Policy (prefixed with the page's
 *   label, when it has one);
 * - `foreignRequests`: requests to anything but the server (data: and blob: URLs are fine) and
 *   WebSockets to another host;
 * - `dialogs`: the questions of the page's dialogs (newPage accepts them all), to check them.
 * `watch(page, baseURL, label?)` starts collecting from a page of the server at `baseURL` and
 * returns the page. Create the collector once per suite and empty `dialogs` before a step that
 * counts them.
 */
export function pageWatch() {
  const cspViolations = [];
  const foreignRequests = [];
  const dialogs = [];
  const watch = (page, baseURL, label = '') => {
    const host = new URL(baseURL).host;
    page.on('console', (m) => {
      if (/Content.Security.Policy/i.test(m.text())) cspViolations.push(label ? `${label}: ${m.text()}` : m.text());
    });
    page.on('request', (r) => {
      const url = r.url();
      if (!url.startsWith(baseURL) && !url.startsWith('data:') && !url.startsWith('blob:')) foreignRequests.push(url);
    });
    page.on('websocket', (ws) => {
      if (new URL(ws.url()).host !== host) foreignRequests.push(ws.url());
    });
    page.on('dialog', (d) => dialogs.push(d.message()));
    return page;
  };
  return { cspViolations, foreignRequests, dialogs, watch };
}

/** A mono 16-bit PCM WAV of `seconds` at `rate`: sample i is `signal(i / rate)` (-1…1) scaled to 16 bits. */
export function pcmWav(seconds, rate, signal) {
  const n = Math.round(seconds * rate);
  const buf = Buffer.alloc(44 + n * 2);
  buf.write('RIFF', 0, 'latin1');
  buf.writeUInt32LE(36 + n * 2, 4);
  buf.write('WAVE', 8, 'latin1');
  buf.write('fmt ', 12, 'latin1');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'latin1');
  buf.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) buf.writeInt16LE(Math.round(signal(i / rate) * 32767), 44 + i * 2);
  return buf;
}

export function screenshotPath(name) {
  mkdirSync(artifactsDir, { recursive: true });
  return join(artifactsDir, name);
}

/** Logs in through the UI and waits for the shell (or the forced change-password page). */
export async function login(page, username, password) {
  await page.goto('/#/login');
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('logout').waitFor();
}

/** GET from inside the page, with the browser's session cookie. */
export async function fetchStatus(page, path) {
  return page.evaluate(async (p) => (await fetch(p, { credentials: 'same-origin' })).status, path);
}

/**
 * First sign-in of a user created with a one-time password: the console forces the
 * change-password page; afterwards the full navigation appears.
 */
export async function firstLogin(page, username, password, newPassword) {
  await login(page, username, password);
  await page.getByTestId('pw-forced').waitFor();
  await page.getByTestId('pw-current').fill(password);
  await page.getByTestId('pw-new').fill(newPassword);
  await page.getByTestId('pw-confirm').fill(newPassword);
  await page.getByTestId('pw-submit').click();
  await page.getByTestId('nav-bulletins').waitFor();
}

/** A JSON API call from inside the page: the session cookie and its CSRF token. */
export async function apiJson(page, path, method = 'GET', body = undefined) {
  return page.evaluate(
    async ({ path, method, body }) => {
      const me = await (await fetch('/api/v1/auth/me', { credentials: 'same-origin' })).json();
      const res = await fetch(path, {
        method,
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
      return { status: res.status, body: json };
    },
    { path, method, body },
  );
}

/**
 * Registers a loudspeaker cluster (4 horns, 120 W, at the coordinates of Phường Hạc Thành) in
 * `commune` through the API; resolves to apiJson's { status, body } (201 and the device).
 */
export async function postDevice(page, { name, serial, commune = '14797' }) {
  return apiJson(page, '/api/v1/devices', 'POST', {
    kind: 'cluster',
    name,
    serial,
    vendor: 'Test',
    model: 'IP-1',
    commune_code: commune,
    lat: 19.807,
    lon: 105.776,
    horns: 4,
    watts: 120,
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` every `every` ms until it returns a truthy value; that value, or an assertion failure
 * naming `what` after `ms`.
 */
export async function until(fn, ms, what, every = 250) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}

/** Picks `code` in a unit picker whose test id is `testid` (type the code, click the option). */
export async function pickUnit(page, testid, code) {
  await page.getByTestId(`${testid}-input`).fill(code);
  await page.getByTestId(`${testid}-option-${code}`).click();
}
