// Emergency orders issued from the web console (#/alerts/new) against the real server: the seeded
// admin registers a loudspeaker cluster in commune 14797, opens the form from the alerts list, is
// stopped by the form's own checks (no headline, no area: nothing is sent), then issues an order
// to unit 14797 plus a 4-vertex polygon drawn on a map without tiles, confirms the scope and lands
// on the alert's detail: on air, with the live acknowledgement board (1 device, not confirmed, as
// no agent runs here) refreshing every 2 s, and no longer polling once the page is left. A Test
// order is only recorded. A station operator of another commune cannot issue in the province's
// name (the server's refusal is shown). Also checked: a 360 px phone screen, no page error, no
// CSP violation, nothing fetched from outside the server.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiJson, firstLogin, launchBrowser, login, newPage, screenshotPath, startServer } from './harness.mjs';

const COMMUNE = '14797'; // Phường Hạc Thành, Thanh Hoá (scope 38 of the harness)
const OTHER_COMMUNE = '16597'; // Xã Hải Lĩnh, same province
const PROVINCE = '38';
const NEW_PW = 'Mat-khau-moi-2026!';
const HEADLINE = 'Lũ quét trên sông Mã, sơ tán ngay';

/** Picks `code` in a unit picker whose test id is `testid` (type the code, click the option). */
async function pickUnit(page, testid, code) {
  await page.getByTestId(`${testid}-input`).fill(code);
  await page.getByTestId(`${testid}-option-${code}`).click();
}

/** The parts of the form every order needs: event, headline, area unit. */
async function fillBasics(page, { event = 'Lũ quét', headline = HEADLINE, area = COMMUNE } = {}) {
  await page.getByTestId('ai-event').fill(event);
  await page.getByTestId('ai-headline').fill(headline);
  if (area) {
    await pickUnit(page, 'ai-areas-add', area);
    await page.getByTestId(`ai-areas-${area}`).waitFor();
  }
}

describe('web console: issuing emergency orders', { timeout: 300_000 }, () => {
  let server;
  let browser;
  let page;
  let errors;
  let context;
  const cspViolations = [];
  const foreignRequests = [];
  const dialogs = [];
  /** Bodies of POST /api/v1/alerts sent by the page. */
  const posted = [];
  /** GET /api/v1/alerts/{id}/devices requests, with their time. */
  const boardPolls = [];
  let orderAlert = 0;

  before(async () => {
    server = await startServer({ broker: true });
    browser = await launchBrowser();
    ({ page, errors, context } = await newPage(browser, server.baseURL));
    page.on('console', (m) => {
      if (/Content[- ]Security[- ]Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    page.on('request', (r) => {
      const url = r.url();
      if (!url.startsWith(server.baseURL) && !url.startsWith('data:') && !url.startsWith('blob:')) foreignRequests.push(url);
      const path = new URL(url).pathname;
      if (r.method() === 'POST' && path === '/api/v1/alerts') posted.push(r.postDataJSON());
      if (r.method() === 'GET' && /^\/api\/v1\/alerts\/\d+\/devices$/.test(path)) boardPolls.push(Date.now());
    });
    // The harness accepts every dialog; keep their questions to check them.
    page.on('dialog', (d) => dialogs.push(d.message()));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the admin registers a device and opens the order form from the alerts list', async () => {
    await login(page, server.admin.username, server.admin.password);
    const device = await apiJson(page, '/api/v1/devices', 'POST', {
      kind: 'cluster',
      name: 'Cụm loa Hạc Thành',
      serial: 'SN-ORDER-1',
      vendor: 'Test',
      model: 'IP-1',
      commune_code: COMMUNE,
      lat: 19.807,
      lon: 105.776,
      horns: 4,
      watts: 120,
    });
    assert.equal(device.status, 201, JSON.stringify(device.body));
    await page.getByTestId('nav-alerts').click();
    await page.getByTestId('alerts-empty').waitFor();
    assert.equal(await page.getByTestId('alert-issue-link').textContent(), 'Phát lệnh khẩn cấp');
    await page.getByTestId('alert-issue-link').click();
    await page.getByTestId('ai-form').waitFor();
    assert.equal(await page.evaluate(() => location.hash), '#/alerts/new');
    // Defaults: the admin's unit, a real order, Extreme / Immediate / Observed, 6 hours.
    assert.match(await page.getByTestId('ai-owner-selected').textContent(), new RegExp(`\\(${PROVINCE}\\)`));
    assert.equal(await page.getByTestId('ai-status').inputValue(), 'Actual');
    assert.equal(await page.getByTestId('ai-severity').inputValue(), 'Extreme');
    assert.equal(await page.getByTestId('ai-urgency').inputValue(), 'Immediate');
    assert.equal(await page.getByTestId('ai-certainty').inputValue(), 'Observed');
    assert.equal(await page.getByTestId('ai-expires').inputValue(), '360');
    const statusLabels = await page.getByTestId('ai-status').locator('option').allTextContents();
    assert.deepEqual(statusLabels, ['Thật', 'Diễn tập', 'Thử nghiệm']);
    assert.ok((await page.getByTestId('ai-category').locator('option').allTextContents()).includes('Khí tượng'));
    const map = page.getByTestId('ai-polygon-map');
    assert.equal(await map.getAttribute('data-tiles'), 'off', 'no tile URL configured: no tile layer');
    // The unit's device is drawn as a landmark.
    await page.locator('[data-testid="ai-polygon-map"][data-refs="1"]').waitFor();
    await page.getByTestId('ai-polygon-ref').filter({ hasText: '1 thiết bị' }).waitFor();
    assert.equal(await page.locator('.leaflet-tile').count(), 0);
  });

  test('the form checks headline and area itself: nothing is sent', async () => {
    dialogs.length = 0;
    await page.getByTestId('ai-event').fill('Lũ quét');
    await page.getByTestId('ai-submit').click();
    const msg = page.getByTestId('ai-msg');
    await msg.filter({ hasText: 'tiêu đề' }).waitFor();
    assert.equal(await msg.getAttribute('data-code'), 'client');
    await page.getByTestId('ai-headline').fill(HEADLINE);
    await page.getByTestId('ai-submit').click();
    await msg.filter({ hasText: 'ít nhất một đơn vị' }).waitFor();
    // Two vertices are not an area.
    const map = page.getByTestId('ai-polygon-map');
    await map.click({ position: { x: 220, y: 120 } });
    await map.click({ position: { x: 380, y: 120 } });
    assert.equal(await map.getAttribute('data-vertices'), '2');
    await page.getByTestId('ai-submit').click();
    await msg.filter({ hasText: 'ít nhất 3 đỉnh' }).waitFor();
    await page.getByTestId('ai-polygon-clear').click();
    assert.equal(await map.getAttribute('data-vertices'), '0');
    assert.equal(posted.length, 0, 'nothing was posted');
    assert.equal(dialogs.length, 0, 'no confirmation was asked');
  });

  test('the admin issues an order to a unit and a drawn polygon, confirms, and sees the live board', async () => {
    await page.getByTestId('ai-description').fill('Mưa lớn kéo dài, nguy cơ lũ quét trong 3 giờ tới.');
    await page.getByTestId('ai-instruction').fill('Người dân di chuyển lên vùng cao ngay.');
    await pickUnit(page, 'ai-areas-add', COMMUNE);
    await page.getByTestId(`ai-areas-${COMMUNE}`).filter({ hasText: 'Hạc Thành' }).waitFor();
    const map = page.getByTestId('ai-polygon-map');
    for (const [x, y] of [
      [220, 110],
      [420, 110],
      [420, 260],
      [220, 260],
    ]) {
      await map.click({ position: { x, y } });
    }
    assert.equal(await map.getAttribute('data-vertices'), '4');
    assert.match(await page.getByTestId('ai-polygon-count').textContent(), /4 đỉnh/);
    await page.getByTestId('ai-polygon-close').click();
    assert.equal(await map.getAttribute('data-closed'), 'true');
    await page.locator('path.draw-polygon').waitFor();
    // Undo reopens the ring (no vertex lost); closing again.
    await page.getByTestId('ai-polygon-undo').click();
    assert.equal(await map.getAttribute('data-closed'), 'false');
    assert.equal(await map.getAttribute('data-vertices'), '4');
    await page.getByTestId('ai-polygon-close').click();
    // A click on a closed ring adds nothing.
    await map.click({ position: { x: 320, y: 300 } });
    assert.equal(await map.getAttribute('data-vertices'), '4');
    await page.screenshot({ path: screenshotPath('alert-order-form.png'), fullPage: true });

    dialogs.length = 0;
    await page.getByTestId('ai-submit').click();
    const detail = page.locator('[data-testid="alert-detail"][data-state="broadcast"]');
    await detail.waitFor();
    assert.equal(dialogs.length, 1, 'a confirmation was asked');
    assert.match(dialogs[0], /^Phát khẩn cấp tới .*Hạc Thành.* và vùng vẽ trên bản đồ \(4 đỉnh\) với âm lượng tối đa — tiếp tục\?$/);
    assert.equal(posted.length, 1);
    const body = posted[0];
    assert.equal(body.owner_unit, PROVINCE);
    assert.equal(body.status, 'Actual');
    assert.equal(body.category, 'Met');
    assert.equal(body.headline, HEADLINE);
    assert.equal(body.severity, 'Extreme');
    assert.equal(body.expires_minutes, 360);
    assert.deepEqual(body.areas, [COMMUNE]);
    assert.equal(body.polygon.length, 4);
    // The map starts on Vietnam: [lat, lon] points around it (lat ~8–24, lon ~100–110 at its centre).
    for (const [lat, lon] of body.polygon) assert.ok(lat > 0 && lat < 40 && lon > 70 && lon < 140, `a [lat, lon] point: ${lat}, ${lon}`);

    orderAlert = Number(await detail.getAttribute('data-id'));
    assert.ok(orderAlert > 0);
    assert.equal(await page.evaluate(() => location.hash), `#/alerts/${orderAlert}`);
    await page.getByTestId('flash').filter({ hasText: 'Đã phát lệnh khẩn cấp' }).waitFor();
    assert.equal(await page.getByTestId('alert-detail-title').textContent(), HEADLINE);

    // The board: one device (no agent runs: it never confirms), refreshed while on air.
    const board = page.getByTestId('alert-board');
    await board.waitFor();
    assert.equal(await board.getAttribute('data-live'), 'true');
    await page.locator('[data-testid="alert-board-count-total"][data-value="1"]').waitFor();
    assert.equal(await page.getByTestId('alert-board-count-waiting').getAttribute('data-value'), '1');
    assert.equal(await page.getByTestId('alert-board-count-played').getAttribute('data-value'), '0');
    const rows = page.locator('[data-testid^="alert-board-row-"]');
    assert.equal(await rows.count(), 1);
    assert.equal(await rows.first().getAttribute('data-state'), 'waiting');
    assert.equal(await rows.first().getAttribute('data-online'), 'false');
    assert.match(await rows.first().textContent(), /Cụm loa Hạc Thành/);
    assert.match(await rows.first().textContent(), /Chưa xác nhận/);
    await page.getByTestId('alert-board-only-unconfirmed').check();
    assert.equal(await rows.count(), 1, 'a waiting device has not confirmed');
    await page.getByTestId('alert-board-note').filter({ hasText: 'Cập nhật lúc' }).waitFor();
    const before = boardPolls.length;
    await page.waitForTimeout(4_500);
    assert.ok(boardPolls.length >= before + 1, `the board refreshes every 2 s (${boardPolls.length - before} polls in 4.5 s)`);
    await page.screenshot({ path: screenshotPath('alert-order-board.png'), fullPage: true });

    // Leaving the page stops the polling.
    await page.getByTestId('alert-detail-back').click();
    await page.getByTestId(`alert-row-${orderAlert}`).waitFor();
    await page.waitForTimeout(500);
    const left = boardPolls.length;
    await page.waitForTimeout(4_500);
    assert.equal(boardPolls.length, left, 'no board request once the detail page is gone');

    // Back on the detail: stopping ends the live refresh (an order issued here is cancelled).
    await page.getByTestId(`alert-link-${orderAlert}`).click();
    await page.getByTestId('alert-board').waitFor();
    await page.getByTestId('alert-stop').click();
    await page.locator('[data-testid="alert-detail"]:not([data-state="broadcast"])').waitFor();
    assert.ok(['stopped', 'cancelled'].includes(await page.getByTestId('alert-detail').getAttribute('data-state')));
    assert.equal(await page.getByTestId('alert-board').getAttribute('data-live'), 'false');
  });

  test('a Test order is published but only recorded', async () => {
    await page.goto('/#/alerts/new');
    await page.getByTestId('ai-form').waitFor();
    await page.getByTestId('ai-status').selectOption('Test');
    await page.getByTestId('ai-status-note').filter({ hasText: 'không phát trên loa' }).waitFor();
    assert.match(await page.getByTestId('ai-submit').textContent(), /Thử nghiệm/);
    await fillBasics(page, { headline: 'Thử nghiệm hệ thống cảnh báo' });
    dialogs.length = 0;
    const count = posted.length;
    await page.getByTestId('ai-submit').click();
    const detail = page.locator('[data-testid="alert-detail"][data-state="recorded"]');
    await detail.waitFor();
    assert.equal(posted.length, count + 1);
    assert.equal(posted.at(-1).status, 'Test');
    assert.equal(dialogs.length, 1);
    assert.match(dialogs[0], /Thử nghiệm.*không phát trên loa/);
    assert.equal(await page.getByTestId('alert-detail-status').textContent(), 'Thử nghiệm');
    const id = Number(await detail.getAttribute('data-id'));
    const got = await apiJson(page, `/api/v1/alerts/${id}`);
    assert.equal(got.body.state, 'recorded');
    if (!got.body.order) assert.equal(await page.getByTestId('alert-board').count(), 0, 'no order: no board');
  });

  test('a station operator of another commune cannot issue in the province’s name', async () => {
    const op = await server.createUser({
      username: 'vanhanh.hailinh',
      name: 'Vận hành Hải Lĩnh',
      unit: OTHER_COMMUNE,
      roles: [`station_operator@${OTHER_COMMUNE}`],
    });
    const opCtx = await newPage(browser, server.baseURL);
    const opPosted = [];
    opCtx.page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/alerts') opPosted.push(r.postDataJSON());
    });
    await firstLogin(opCtx.page, op.username, op.password, NEW_PW);
    await opCtx.page.getByTestId('nav-alerts').click();
    await opCtx.page.getByTestId('alert-issue-link').click();
    await opCtx.page.getByTestId('ai-form').waitFor();
    assert.match(await opCtx.page.getByTestId('ai-owner-selected').textContent(), new RegExp(OTHER_COMMUNE), 'the operator’s own commune by default');
    await pickUnit(opCtx.page, 'ai-owner', PROVINCE);
    // The unit search shows the operator only units of their own commune.
    await fillBasics(opCtx.page, { headline: 'Lệnh không được phép', area: OTHER_COMMUNE });
    await opCtx.page.getByTestId('ai-submit').click();
    // Refused: forbidden, or (as the server does) a unit outside the caller's reach reads as unknown.
    const msg = opCtx.page.locator('[data-testid="ai-msg"]:is([data-code="forbidden"], [data-code="invalid_reference"])');
    await msg.waitFor();
    assert.match(await msg.textContent(), /không có quyền phát lệnh nhân danh đơn vị này/);
    assert.equal(opPosted.length, 1);
    assert.equal(opPosted[0].owner_unit, PROVINCE);
    assert.equal(await opCtx.page.evaluate(() => location.hash), '#/alerts/new', 'the form stays open');
    assert.deepEqual(opCtx.errors, []);
    await opCtx.context.close();
    const list = await apiJson(page, '/api/v1/alerts');
    assert.ok(!list.body.items.some((a) => a.headline === 'Lệnh không được phép'), 'no alert was created');
  });

  test('a 360 px phone screen shows the form without horizontal scrolling', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto('/#/alerts');
    await page.goto('/#/alerts/new');
    await page.getByTestId('ai-form').waitFor();
    await page.getByTestId('ai-polygon-map').click({ position: { x: 100, y: 80 } });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `no horizontal scrolling of the form on a phone (overflow ${overflow}px)`);
    await page.screenshot({ path: screenshotPath('alert-order-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('no page error, no CSP violation, nothing fetched from outside the server', async () => {
    assert.deepEqual(errors, []);
    assert.deepEqual(cspViolations, []);
    assert.deepEqual(foreignRequests, []);
    await context.close();
  });
});
