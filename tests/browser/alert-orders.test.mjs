// Emergency orders issued from the web console (#/alerts/new) against the real server: the seeded
// admin registers a loudspeaker cluster in commune 14797, opens the form from the alerts list, is
// stopped by the form's own checks (no headline, no area: nothing is sent), then issues an order
// to unit 14797 plus a 4-vertex polygon drawn on a map without tiles, confirms the scope and lands
// on the alert's detail: on air, with the live acknowledgement board (1 device, not confirmed, as
// no agent runs here) following ONE server-sent event stream (no polling; a renamed device shows
// up through the stream), the stream closed once the page is left or the order stopped. Without
// EventSource, or with the stream refused (503 too_many_streams), the board polls every 2 s
// instead. A Test order is only recorded. A station operator of another commune cannot issue in the province's
// name (the server's refusal is shown). Also checked: a 360 px phone screen, no page error, no
// CSP violation, nothing fetched from outside the server.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiJson, firstLogin, launchBrowser, login, newPage, pageWatch, pickUnit, postDevice, screenshotPath, startServer, until } from './harness.mjs';

const COMMUNE = '14797'; // Phường Hạc Thành, Thanh Hoá (scope 38 of the harness)
const OTHER_COMMUNE = '16597'; // Xã Hải Lĩnh, same province
const PROVINCE = '38';
const NEW_PW = 'Mat-khau-moi-2026!';
const HEADLINE = 'Lũ quét trên sông Mã, sơ tán ngay';

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
  const { cspViolations, foreignRequests, dialogs, watch } = pageWatch();
  /** Bodies of POST /api/v1/alerts sent by the page. */
  const posted = [];
  /** Plain GET /api/v1/alerts/{id}/devices requests (polling): { alert, time }. */
  const boardPolls = [];
  /** Event-stream GET /api/v1/alerts/{id}/devices requests: { alert, time, accept, request, closed }. */
  const boardStreams = [];
  let orderAlert = 0;
  let deviceId = '';

  before(async () => {
    server = await startServer({ broker: true });
    browser = await launchBrowser();
    ({ page, errors, context } = await newPage(browser, server.baseURL));
    watch(page, server.baseURL);
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (r.method() === 'POST' && path === '/api/v1/alerts') posted.push(r.postDataJSON());
      const board = /^\/api\/v1\/alerts\/(\d+)\/devices$/.exec(path);
      if (r.method() === 'GET' && board) {
        const accept = r.headers().accept ?? '';
        if (accept.includes('text/event-stream')) boardStreams.push({ alert: Number(board[1]), time: Date.now(), accept, request: r, closed: false });
        else boardPolls.push({ alert: Number(board[1]), time: Date.now() });
      }
    });
    // A stream ends for the browser when the page closes it (requestfailed, net::ERR_ABORTED) or
    // the server ends it (requestfinished).
    const streamEnded = (r) => {
      const rec = boardStreams.find((x) => x.request === r);
      if (rec) rec.closed = true;
    };
    page.on('requestfinished', streamEnded);
    page.on('requestfailed', streamEnded);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the admin registers a device and opens the order form from the alerts list', async () => {
    await login(page, server.admin.username, server.admin.password);
    const device = await postDevice(page, { name: 'Cụm loa Hạc Thành', serial: 'SN-ORDER-1', commune: COMMUNE });
    assert.equal(device.status, 201, JSON.stringify(device.body));
    deviceId = device.body.id;
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

    // The board: one device (no agent runs: it never confirms), followed through one event stream.
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
    const note = page.getByTestId('alert-board-note');
    await note.filter({ hasText: 'Cập nhật lúc' }).waitFor();
    assert.match(await note.textContent(), /máy chủ báo ngay khi có thay đổi/, 'the note tells the board is pushed, not polled');
    const streams = () => boardStreams.filter((x) => x.alert === orderAlert);
    const polls = () => boardPolls.filter((x) => x.alert === orderAlert);
    assert.equal(streams().length, 1, 'one event-stream request for the board');
    assert.equal(polls().length, 0, 'no plain GET of the board while the stream works');
    const stream = streams()[0];
    assert.match(stream.accept, /text\/event-stream/);
    const res = await stream.request.response();
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-type'], /^text\/event-stream/);
    assert.match(res.headers()['cache-control'] ?? '', /no-cache/);
    assert.equal(stream.closed, false, 'the stream stays open while on air');

    // A change of the board (the device renamed) arrives through the same stream, and the
    // "updated at" note with it.
    const noteBefore = await note.textContent();
    await page.waitForTimeout(1_100); // the note has a one-second resolution
    const renamed = await apiJson(page, `/api/v1/devices/${encodeURIComponent(deviceId)}`, 'PATCH', { name: 'Cụm loa Hạc Thành (đổi tên)' });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    await page.getByTestId(`alert-board-row-${deviceId}`).filter({ hasText: 'Cụm loa Hạc Thành (đổi tên)' }).waitFor({ timeout: 5_000 });
    assert.equal(await page.getByTestId(`alert-board-row-${deviceId}`).getAttribute('data-state'), 'waiting');
    assert.notEqual(await note.textContent(), noteBefore, 'the note is updated on each event');
    await page.waitForTimeout(3_000);
    assert.equal(streams().length, 1, 'still one stream, no new request');
    assert.equal(polls().length, 0, 'no polling while the stream works');
    assert.equal(stream.closed, false);
    await page.screenshot({ path: screenshotPath('alert-order-board.png'), fullPage: true });

    // Leaving the page closes the stream; nothing asks for the board afterwards.
    await page.getByTestId('alert-detail-back').click();
    await page.getByTestId(`alert-row-${orderAlert}`).waitFor();
    await until(() => stream.closed, 5_000, 'the board stream to close once the page is left', 100);
    const left = boardStreams.length + boardPolls.length;
    await page.waitForTimeout(4_500);
    assert.equal(boardStreams.length + boardPolls.length, left, 'no board request once the detail page is gone');

    // Back on the detail: a new stream; stopping ends the live board (an order issued here is
    // cancelled) and closes that stream too.
    await page.getByTestId(`alert-link-${orderAlert}`).click();
    await page.getByTestId('alert-board').waitFor();
    await until(() => streams().length === 2, 5_000, 'a new stream on the detail page', 100);
    const second = streams()[1];
    await page.locator('[data-testid="alert-board-count-total"][data-value="1"]').waitFor();
    await page.getByTestId('alert-stop').click();
    await page.locator('[data-testid="alert-detail"]:not([data-state="broadcast"])').waitFor();
    assert.ok(['stopped', 'cancelled'].includes(await page.getByTestId('alert-detail').getAttribute('data-state')));
    assert.equal(await page.getByTestId('alert-board').getAttribute('data-live'), 'false');
    await until(() => second.closed, 5_000, 'the board stream to close once the order is stopped', 100);
    // A board that is not live is loaded once with a plain GET.
    await page.locator('[data-testid="alert-board-count-total"][data-value="1"]').waitFor();
    const done = boardStreams.length + boardPolls.length;
    await page.waitForTimeout(3_000);
    assert.equal(streams().length, 2, 'no stream for a board that is not live');
    assert.equal(boardStreams.length + boardPolls.length, done, 'nothing more once loaded');
  });

  test('without EventSource, or with the stream refused, the board polls every 2 s', async () => {
    for (const mode of ['no-eventsource', 'refused']) {
      const ctx = await newPage(browser, server.baseURL);
      if (mode === 'no-eventsource') {
        await ctx.context.addInitScript(() => {
          delete window.EventSource;
        });
      } else {
        // The server answers 503 too_many_streams when too many boards are open (1,000 here):
        // the same answer, given to this page's stream requests only.
        await ctx.page.route(/\/api\/v1\/alerts\/\d+\/devices$/, (route) => {
          if ((route.request().headers().accept ?? '').includes('text/event-stream')) {
            return route.fulfill({
              status: 503,
              contentType: 'application/json',
              body: JSON.stringify({ error: { code: 'too_many_streams', message: 'too many live boards are open; poll this address instead' } }),
            });
          }
          return route.continue();
        });
      }
      const seen = [];
      ctx.page.on('request', (r) => {
        if (r.method() === 'GET' && /^\/api\/v1\/alerts\/\d+\/devices$/.test(new URL(r.url()).pathname)) {
          seen.push({ time: Date.now(), stream: (r.headers().accept ?? '').includes('text/event-stream') });
        }
      });
      await login(ctx.page, server.admin.username, server.admin.password);
      const issued = await apiJson(ctx.page, '/api/v1/alerts', 'POST', {
        owner_unit: PROVINCE,
        status: 'Actual',
        category: 'Met',
        event: 'Lũ quét',
        headline: `Kiểm tra dự phòng (${mode})`,
        severity: 'Extreme',
        urgency: 'Immediate',
        certainty: 'Observed',
        expires_minutes: 60,
        areas: [COMMUNE],
      });
      assert.equal(issued.status, 201, JSON.stringify(issued.body));
      assert.equal(issued.body.state, 'broadcast');
      const id = issued.body.id;
      try {
        await ctx.page.goto(`/#/alerts/${id}`);
        await ctx.page.locator('[data-testid="alert-board"][data-live="true"]').waitFor();
        await ctx.page.locator(`[data-testid="alert-board-row-${deviceId}"][data-state="waiting"]`).waitFor();
        await ctx.page.getByTestId('alert-board-note').filter({ hasText: 'tự làm mới mỗi 2 giây' }).waitFor();
        const start = seen.filter((x) => !x.stream).length;
        await ctx.page.waitForTimeout(4_500);
        const plain = seen.filter((x) => !x.stream);
        assert.ok(plain.length >= start + 2, `${mode}: the board polls every 2 s (${plain.length - start} polls in 4.5 s)`);
        for (let i = 1; i < plain.length; i++) assert.ok(plain[i].time - plain[i - 1].time >= 1_500, `${mode}: polls ~2 s apart`);
        const streamed = seen.filter((x) => x.stream).length;
        assert.equal(streamed, mode === 'refused' ? 1 : 0, `${mode}: stream requests`);
        // Leaving the page stops the polling.
        await ctx.page.getByTestId('alert-detail-back').click();
        await ctx.page.getByTestId(`alert-row-${id}`).waitFor();
        await ctx.page.waitForTimeout(500);
        const left = seen.length;
        await ctx.page.waitForTimeout(3_000);
        assert.equal(seen.length, left, `${mode}: no board request once the detail page is gone`);
        assert.deepEqual(ctx.errors, []);
      } finally {
        const stopped = await apiJson(ctx.page, `/api/v1/alerts/${id}/stop`, 'POST', {});
        assert.equal(stopped.status, 200, JSON.stringify(stopped.body));
        await ctx.context.close();
      }
    }
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
