// Emergency alerts (CAP 1.2) in the web console against the real server: the seeded admin opens
// the alert sources screen, registers the provincial weather service as a trusted sender (unit 38,
// no automatic broadcast) and reads its push token, shown once; the test then pushes two CAP 1.2
// alerts with that token (POST /api/v1/cap, as the authority would). They appear in the open list
// on its own (10 s refresh) as pending, highlighted; the detail shows the broadcast text, the
// circle on a map without tiles, the unit of the geocode and the CAP document. The admin rejects
// one with a reason (required) and approves the other after a confirmation (no device is
// registered: the server either records it or sends the order to the area's units; only the
// move away from "pending" is required, and an alert on air is then stopped); a new token
// replaces the old one. A station operator sees the alerts but not the sources; a viewer sees
// neither. Also checked: English labels, a narrow phone screen, no CSP violation, no page error,
// nothing fetched from outside the server.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { firstLogin, launchBrowser, login, newPage, pageWatch, postDevice, screenshotPath, startServer } from './harness.mjs';

const SENDER = 'canhbao@kttv.gov.vn';
const SOURCE_NAME = 'Đài Khí tượng Thủy văn tỉnh Thanh Hóa';
const COMMUNE = '14797'; // Phường Hạc Thành, Thanh Hoá (scope 38 of the harness)
const PROVINCE = '38';
const NEW_PW = 'Mat-khau-moi-2026!';
const REJECT_REASON = 'Tin trùng với cảnh báo đã phát qua kênh khác';

/** A CAP dateTime in Vietnam time: 2026-10-05T14:30:00+07:00. */
function capTime(ms) {
  return `${new Date(ms + 7 * 3600_000).toISOString().slice(0, 19)}+07:00`;
}

/** A CAP 1.2 alert (Actual, Public, Severe / Immediate / Observed, in Vietnamese) for 14797. */
function capAlert({ identifier, headline, description, shapes = '' }) {
  const now = Date.now();
  return `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>${identifier}</identifier>
  <sender>${SENDER}</sender>
  <sent>${capTime(now - 60_000)}</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>vi-VN</language>
    <category>Met</category>
    <event>Lũ quét</event>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Observed</certainty>
    <expires>${capTime(now + 6 * 3600_000)}</expires>
    <senderName>${SOURCE_NAME}</senderName>
    <headline>${headline}</headline>
    <description>${description}</description>
    <instruction>Người dân di chuyển đến nơi cao, tránh xa khu vực ven sông suối.</instruction>
    <area>
      <areaDesc>Phường Hạc Thành</areaDesc>
      ${shapes}
      <geocode><valueName>VN-ADM</valueName><value>${COMMUNE}</value></geocode>
    </area>
  </info>
</alert>
`;
}

/** POST /api/v1/cap as the sending authority would (bearer token, no session). */
async function pushCap(baseURL, token, xml) {
  const res = await fetch(`${baseURL}/api/v1/cap`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/cap+xml' },
    body: xml,
  });
  const text = await res.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

/** fetch() inside the page with the session cookie. */
async function apiGet(page, path) {
  return page.evaluate(async (p) => {
    const res = await fetch(p, { credentials: 'same-origin' });
    return { status: res.status, body: await res.json().catch(() => null) };
  }, path);
}

describe('web console: emergency alerts (CAP 1.2)', { timeout: 300_000 }, () => {
  let server;
  let browser;
  let page;
  let errors;
  let context;
  const { cspViolations, foreignRequests, dialogs, watch } = pageWatch();
  let sourceId = 0;
  let token = '';
  let flood = 0; // the alert approved (circle + geocode)
  let dup = 0; // the alert rejected (geocode only)

  before(async () => {
    server = await startServer({ broker: true });
    browser = await launchBrowser();
    ({ page, errors, context } = await newPage(browser, server.baseURL));
    watch(page, server.baseURL);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the admin sees the Alerts entry and an empty list', async () => {
    await login(page, server.admin.username, server.admin.password);
    assert.equal(await page.getByTestId('nav-alerts').textContent(), 'Cảnh báo');
    await page.getByTestId('nav-alerts').click();
    await page.getByTestId('alerts-empty').waitFor();
    assert.equal(await page.getByTestId('alert-filter-state').inputValue(), '');
  });

  test('the admin registers a trusted sender and reads its token once', async () => {
    await page.getByTestId('alert-sources-link').click();
    await page.getByTestId('alertsrc-empty').waitFor();
    await page.getByTestId('alertsrc-new').click();
    await page.getByTestId('alertsrc-form').waitFor();
    // Client-side checks first: a CAP sender holds no space; the unit is required.
    await page.getByTestId('alertsrc-sender').fill('canh bao');
    await page.getByTestId('alertsrc-submit').click();
    await page.getByTestId('alertsrc-form-msg').filter({ hasText: 'dấu cách' }).waitFor();
    await page.getByTestId('alertsrc-sender').fill(SENDER);
    await page.getByTestId('alertsrc-name').fill(SOURCE_NAME);
    await page.getByTestId('alertsrc-submit').click();
    await page.getByTestId('alertsrc-form-msg').filter({ hasText: 'chọn đơn vị' }).waitFor();
    await page.getByTestId('alertsrc-unit-input').fill(PROVINCE);
    await page.getByTestId(`alertsrc-unit-option-${PROVINCE}`).click();
    assert.equal(await page.getByTestId('alertsrc-auto').isChecked(), false, 'no automatic broadcast by default');
    assert.equal(await page.getByTestId('alertsrc-thresholds').evaluate((f) => f.disabled), true, 'thresholds apply only to automatic broadcast');
    await page.getByTestId('alertsrc-submit').click();

    const tokenInput = page.getByTestId('alert-source-token');
    await tokenInput.waitFor();
    token = await tokenInput.inputValue();
    assert.ok(token.length >= 16, `a push token is shown (${token.length} characters)`);
    assert.match(await page.getByTestId('alert-source-token-box').textContent(), /chỉ hiển thị một lần/);
    await page.getByTestId('alertsrc-msg').filter({ hasText: SOURCE_NAME }).waitFor();
    await page.screenshot({ path: screenshotPath('alert-source-token.png'), fullPage: true });
    const row = page.locator(`[data-testid^="alertsrc-row-"][data-sender="${SENDER}"]`);
    await row.waitFor();
    sourceId = Number((await row.getAttribute('data-testid')).replace('alertsrc-row-', ''));
    assert.ok(sourceId > 0);
    assert.match(await row.textContent(), /Chờ người vận hành duyệt/);
    assert.equal(await page.getByTestId(`alertsrc-enabled-${sourceId}`).getAttribute('data-enabled'), 'true');
    // The token is nowhere else on the page once its box is closed.
    await page.getByTestId('alert-source-token-close').click();
    assert.equal(await page.getByTestId('alert-source-token').count(), 0);
    assert.ok(!(await page.locator('main').textContent()).includes(token), 'the token is not shown again');
    await page.screenshot({ path: screenshotPath('alert-sources.png'), fullPage: true });
  });

  test('pushed alerts appear in the open list by themselves, pending and highlighted', async () => {
    // A loudspeaker cluster in the alerts' commune: an area without devices is only recorded.
    const device = await postDevice(page, { name: 'Cụm loa Hạc Thành', serial: 'SN-ALERT-1', commune: COMMUNE });
    assert.equal(device.status, 201, JSON.stringify(device.body));
    await page.getByTestId('alertsrc-back').click();
    await page.getByTestId('alerts-empty').waitFor();
    const a = await pushCap(
      server.baseURL,
      token,
      capAlert({
        identifier: 'KTTV-TH-2026-0001',
        headline: 'Cảnh báo lũ quét tại phường Hạc Thành',
        description: 'Mưa lớn kéo dài, nguy cơ cao xảy ra lũ quét và sạt lở đất trong 6 giờ tới.',
        shapes: '<circle>19.8075,105.7764 3</circle>',
      }),
    );
    assert.equal(a.status, 201, `push answered ${a.status}: ${JSON.stringify(a.body)}`);
    assert.equal(a.body.state, 'pending', 'a source without automatic broadcast waits for approval');
    flood = a.body.id;
    const b = await pushCap(
      server.baseURL,
      token,
      capAlert({
        identifier: 'KTTV-TH-2026-0002',
        headline: 'Cảnh báo lũ quét (bản gửi trùng)',
        description: 'Bản tin gửi lặp lại từ hệ thống cũ.',
      }),
    );
    assert.equal(b.status, 201, `push answered ${b.status}: ${JSON.stringify(b.body)}`);
    dup = b.body.id;
    assert.notEqual(flood, dup);

    // No reload: the list refreshes itself every 10 s.
    const row = page.getByTestId(`alert-row-${flood}`);
    await row.waitFor({ timeout: 25_000 });
    await page.getByTestId(`alert-row-${dup}`).waitFor();
    assert.equal(await row.getAttribute('data-state'), 'pending');
    assert.match(await row.getAttribute('class'), /is-pending/);
    assert.equal(await page.getByTestId(`alert-state-${flood}`).textContent(), 'Chờ duyệt');
    const sev = page.getByTestId(`alert-severity-${flood}`);
    assert.equal(await sev.getAttribute('data-severity'), 'Severe');
    assert.match(await sev.getAttribute('class'), /sev-severe/);
    const text = await row.textContent();
    assert.match(text, /Cảnh báo lũ quét tại phường Hạc Thành/);
    assert.match(text, /Lũ quét/);
    assert.match(text, /Cần ứng phó ngay/);
    assert.ok(text.includes(SOURCE_NAME) || text.includes(SENDER), 'the sender is shown');
    // Newest first.
    const ids = await page.locator('[data-testid^="alert-row-"]').evaluateAll((rows) => rows.map((r) => r.dataset.testid));
    assert.deepEqual(ids, [`alert-row-${dup}`, `alert-row-${flood}`]);
    // The state filter asks the server.
    await page.getByTestId('alert-filter-state').selectOption('rejected');
    await page.getByTestId('alerts-empty').waitFor();
    await page.getByTestId('alert-filter-state').selectOption('pending');
    await row.waitFor();
    await page.screenshot({ path: screenshotPath('alerts-list.png'), fullPage: true });
  });

  test('the detail shows the broadcast text, the area on a map without tiles and the CAP document', async () => {
    await page.getByTestId(`alert-link-${flood}`).click();
    const detail = page.getByTestId('alert-detail');
    await detail.waitFor();
    assert.equal(await detail.getAttribute('data-id'), String(flood));
    assert.equal(await detail.getAttribute('data-state'), 'pending');
    assert.equal(await page.getByTestId('alert-detail-title').textContent(), 'Cảnh báo lũ quét tại phường Hạc Thành');
    assert.ok((await page.getByTestId('alert-text').textContent()).trim().length > 0, 'the Vietnamese broadcast text is shown');
    assert.equal(await page.getByTestId('alert-f-identifier').textContent(), 'KTTV-TH-2026-0001');
    const map = page.getByTestId('alert-map');
    await map.waitFor();
    assert.equal(await map.getAttribute('data-tiles'), 'off', 'no tile URL configured: no tile layer');
    assert.equal(await map.getAttribute('data-shapes'), '1');
    await page.locator('path.alert-circle').waitFor();
    assert.equal(await page.locator('.leaflet-tile').count(), 0);
    const units = page.getByTestId('alert-area-0-units');
    assert.match(await units.textContent(), new RegExp(COMMUNE));
    await units.filter({ hasText: 'Hạc Thành' }).waitFor();
    // The CAP document is folded away until asked for.
    assert.equal(await page.getByTestId('alert-xml').isVisible(), false);
    await page.getByTestId('alert-xml-toggle').click();
    const xml = await page.getByTestId('alert-xml').textContent();
    assert.match(xml, /urn:oasis:names:tc:emergency:cap:1\.2/);
    assert.match(xml, /KTTV-TH-2026-0001/);
    await page.screenshot({ path: screenshotPath('alert-detail.png'), fullPage: true });
  });

  test('the admin rejects an alert, with a reason that is required', async () => {
    await page.goto(`/#/alerts/${dup}`);
    await page.locator(`[data-testid="alert-detail"][data-id="${dup}"]`).waitFor();
    // A geocode alone draws nothing: the map is replaced by a note.
    await page.getByTestId('alert-map-none').waitFor();
    await page.getByTestId('alert-reject').click();
    await page.getByTestId('alert-reject-confirm').click();
    await page.getByTestId('alert-detail-msg').filter({ hasText: 'lý do' }).waitFor();
    await page.getByTestId('alert-reject-reason').fill(REJECT_REASON);
    await page.getByTestId('alert-reject-confirm').click();
    await page.locator(`[data-testid="alert-detail"][data-state="rejected"]`).waitFor();
    await page.getByTestId('alert-detail-msg').filter({ hasText: 'Đã từ chối' }).waitFor();
    assert.equal(await page.getByTestId('alert-detail-state').textContent(), 'Đã từ chối');
    assert.match(await page.getByTestId('alert-reason').textContent(), new RegExp(REJECT_REASON));
    assert.equal(await page.getByTestId('alert-approve').count(), 0, 'nothing left to decide');
    const got = await apiGet(page, `/api/v1/alerts/${dup}`);
    assert.equal(got.body.state, 'rejected');
  });

  test('the admin approves an alert after confirming; it is not pending any more (and stops when on air)', async () => {
    await page.goto(`/#/alerts/${flood}`);
    await page.locator(`[data-testid="alert-detail"][data-id="${flood}"][data-state="pending"]`).waitFor();
    dialogs.length = 0;
    await page.getByTestId('alert-approve').click();
    await page.locator('[data-testid="alert-detail"]:not([data-state="pending"])').waitFor();
    assert.equal(dialogs.length, 1, 'a confirmation was asked');
    assert.match(dialogs[0], /Phát khẩn cấp/);
    const stateNow = await page.getByTestId('alert-detail').getAttribute('data-state');
    assert.notEqual(stateNow, 'pending');
    assert.notEqual(await page.getByTestId('alert-detail-state').textContent(), 'Chờ duyệt');
    // On air is a success; only recorded (no device here) is said plainly, not as a success.
    await page.getByTestId('alert-detail-msg').waitFor({ state: 'visible' });
    assert.match(await page.getByTestId('alert-detail-msg').getAttribute('class'), stateNow === 'recorded' ? /msg-info/ : /msg-success/);
    assert.equal(await page.getByTestId('alert-approve').count(), 0);
    let got = await apiGet(page, `/api/v1/alerts/${flood}`);
    assert.equal(got.body.state, stateNow, 'the page shows the state the server keeps');
    await page.screenshot({ path: screenshotPath('alert-approved.png'), fullPage: true });
    let stateEnd = stateNow;
    if (stateNow === 'broadcast') {
      // On air (an order to the area's units, even with no device registered): it can be stopped.
      assert.ok(got.body.order, 'a broadcast alert names its order');
      dialogs.length = 0;
      await page.getByTestId('alert-stop').click();
      await page.locator('[data-testid="alert-detail"][data-state="stopped"]').waitFor();
      assert.equal(dialogs.length, 1, 'stopping asks first');
      assert.equal(await page.getByTestId('alert-stop').count(), 0);
      got = await apiGet(page, `/api/v1/alerts/${flood}`);
      assert.equal(got.body.state, 'stopped');
      stateEnd = 'stopped';
    }

    // The list shows both decisions; nothing is pending any more.
    await page.getByTestId('alert-detail-back').click();
    await page.getByTestId('alert-filter-state').selectOption('');
    await page.locator(`[data-testid="alert-row-${dup}"][data-state="rejected"]`).waitFor();
    await page.locator(`[data-testid="alert-row-${flood}"][data-state="${stateEnd}"]`).waitFor();
    assert.equal(await page.locator('tr.is-pending').count(), 0);
  });

  test('a new token replaces the old one; the source can be edited', async () => {
    await page.getByTestId('alert-sources-link').click();
    await page.getByTestId(`alertsrc-row-${sourceId}`).waitFor();
    await page.getByTestId(`alertsrc-token-${sourceId}`).click();
    const tokenInput = page.getByTestId('alert-source-token');
    await tokenInput.waitFor();
    const fresh = await tokenInput.inputValue();
    assert.ok(fresh.length >= 16);
    assert.notEqual(fresh, token);
    const old = await pushCap(server.baseURL, token, capAlert({ identifier: 'KTTV-TH-2026-0003', headline: 'Khoá cũ', description: 'Không được nhận.' }));
    assert.ok(old.status === 401 || old.status === 403, `the old token is refused (got ${old.status})`);
    const ok = await pushCap(server.baseURL, fresh, capAlert({ identifier: 'KTTV-TH-2026-0004', headline: 'Khoá mới', description: 'Được nhận.' }));
    assert.equal(ok.status, 201, `the new token works (got ${ok.status}: ${JSON.stringify(ok.body)})`);

    await page.getByTestId(`alertsrc-edit-${sourceId}`).click();
    const form = page.getByTestId('alertsrc-form');
    await form.waitFor();
    assert.equal(await page.getByTestId('alertsrc-sender').count(), 0, 'the sender cannot be changed');
    assert.equal(await page.getByTestId('alertsrc-sender-fixed').textContent(), SENDER);
    await page.getByTestId('alertsrc-auto').check();
    assert.equal(await page.getByTestId('alertsrc-thresholds').evaluate((f) => f.disabled), false);
    await page.getByTestId('alertsrc-min-severity').selectOption('Extreme');
    await page.getByTestId('alertsrc-enabled').uncheck();
    await page.getByTestId('alertsrc-submit').click();
    await form.waitFor({ state: 'detached' });
    await page.locator(`[data-testid="alertsrc-enabled-${sourceId}"][data-enabled="false"]`).waitFor();
    assert.match(await page.getByTestId(`alertsrc-mode-${sourceId}`).textContent(), /Tự động phát.*Đặc biệt nghiêm trọng/);
    // A second source with the same sender is refused, with the server's reason in words.
    await page.getByTestId('alertsrc-new').click();
    await page.getByTestId('alertsrc-sender').fill(SENDER);
    await page.getByTestId('alertsrc-name').fill('Nguồn trùng');
    await page.getByTestId('alertsrc-unit-input').fill(PROVINCE);
    await page.getByTestId(`alertsrc-unit-option-${PROVINCE}`).click();
    await page.getByTestId('alertsrc-submit').click();
    await page.getByTestId('alertsrc-form-msg').filter({ hasText: 'Đã có nguồn cảnh báo' }).waitFor();
    await page.getByTestId('alertsrc-cancel').click();
    await form.waitFor({ state: 'detached' });
    const list = await apiGet(page, '/api/v1/alert-sources');
    assert.equal(list.body.items.length, 1);
    const src = list.body.items.find((s) => s.id === sourceId);
    assert.equal(src.enabled, false);
    assert.equal(src.auto_broadcast, true);
    assert.equal(src.min_severity, 'Extreme');
    assert.equal(src.unit_code, PROVINCE);
  });

  test('English labels and a narrow phone screen', async () => {
    await page.getByTestId('lang-en').click();
    await page.getByTestId('nav-alerts').filter({ hasText: 'Alerts' }).waitFor();
    await page.getByTestId('nav-alerts').click();
    await page.getByTestId(`alert-state-${dup}`).filter({ hasText: 'Rejected' }).waitFor();
    await page.setViewportSize({ width: 360, height: 740 });
    await page.getByTestId(`alert-row-${flood}`).waitFor();
    let overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `no horizontal scrolling of the list on a phone (overflow ${overflow}px)`);
    await page.screenshot({ path: screenshotPath('alerts-phone.png'), fullPage: true });
    await page.getByTestId(`alert-link-${flood}`).click();
    await page.getByTestId('alert-detail').waitFor();
    await page.getByTestId('alert-xml-toggle').click();
    overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `no horizontal scrolling of the detail on a phone (overflow ${overflow}px)`);
    await page.goto('/#/alerts/sources');
    await page.getByTestId(`alertsrc-row-${sourceId}`).waitFor();
    overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `no horizontal scrolling of the sources on a phone (overflow ${overflow}px)`);
    await page.screenshot({ path: screenshotPath('alert-sources-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByTestId('lang-vi').click();
    await page.getByTestId('nav-alerts').filter({ hasText: 'Cảnh báo' }).waitFor();
  });

  test('a station operator sees the alerts but not the sources; a viewer sees neither', async () => {
    const op = await server.createUser({ username: 'vanhanh.hacthanh', name: 'Vận hành Hạc Thành', unit: PROVINCE, roles: [`station_operator@${PROVINCE}`] });
    const opCtx = await newPage(browser, server.baseURL);
    await firstLogin(opCtx.page, op.username, op.password, NEW_PW);
    await opCtx.page.getByTestId('nav-alerts').click();
    await opCtx.page.getByTestId(`alert-row-${flood}`).waitFor();
    assert.equal(await opCtx.page.getByTestId('alert-sources-link').count(), 0);
    await opCtx.page.goto('/#/alerts/sources');
    await opCtx.page.waitForFunction(() => location.hash === '#/alerts');
    await opCtx.page.getByTestId('alerts-table').waitFor();
    assert.equal(await opCtx.page.getByTestId('alertsrc-new').count(), 0);
    assert.deepEqual(opCtx.errors, []);
    await opCtx.context.close();

    const viewer = await server.createUser({ username: 'xem.hacthanh', name: 'Người xem Hạc Thành', unit: COMMUNE, roles: [`viewer@${COMMUNE}`] });
    const vCtx = await newPage(browser, server.baseURL);
    await firstLogin(vCtx.page, viewer.username, viewer.password, NEW_PW);
    assert.equal(await vCtx.page.getByTestId('nav-alerts').count(), 0);
    await vCtx.page.goto('/#/alerts');
    await vCtx.page.waitForFunction(() => location.hash === '#/units');
    assert.equal(await vCtx.page.getByTestId('alerts-table-wrap').count(), 0);
    assert.deepEqual(vCtx.errors, []);
    await vCtx.context.close();
  });

  test('no page error, no CSP violation, nothing fetched from outside the server', async () => {
    assert.deepEqual(errors, []);
    assert.deepEqual(cspViolations, []);
    assert.deepEqual(foreignRequests, []);
    await context.close();
  });
});
