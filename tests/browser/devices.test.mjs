// Devices, schedule and play log in the web console against the real server: the seeded admin
// registers a loudspeaker cluster through the form, sees it in the table and on the map (no tile
// layer: the deployment configures no tile URL, so nothing may be fetched from the internet),
// opens its detail and provisions it (bundle download + QR code), imports a CSV with one bad row
// and reads the per-row error report, then opens the schedule week view and creates a programme
// (and sees a second, overlapping one refused with the conflict). A viewer sees the screens
// read-only. Also checked: English labels, a narrow phone screen, no CSP violation, no page error.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiJson, firstLogin, launchBrowser, login, newPage, pageWatch, screenshotPath, startServer } from './harness.mjs';

const DEVICE_NAME = 'Cụm loa Nhà văn hoá phố Đông Hải';
const SERIAL = 'SN-TEST-0001';
const PROGRAMME = 'Tiếp sóng buổi sáng';

/** fetch() inside the page with the session cookie and the CSRF token of /auth/me. */

describe('web console: devices, schedule and play log', { timeout: 240_000 }, () => {
  let server;
  let browser;
  let page;
  let errors;
  let context;
  const { cspViolations, foreignRequests, watch } = pageWatch();
  let deviceId = '';

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

  test('the admin sees the Devices, Schedule and Play log entries', async () => {
    await login(page, server.admin.username, server.admin.password);
    assert.equal(await page.getByTestId('nav-devices').textContent(), 'Thiết bị');
    assert.equal(await page.getByTestId('nav-schedule').textContent(), 'Lịch phát');
    assert.equal(await page.getByTestId('nav-plays').textContent(), 'Nhật ký phát');
  });

  test('the dashboard shows counts, an empty list and a map without tiles', async () => {
    await page.getByTestId('nav-devices').click();
    await page.getByTestId('count-total-value').filter({ hasText: /^0$/ }).waitFor();
    await page.getByTestId('devices-empty').waitFor();
    const map = page.getByTestId('device-map');
    await map.waitFor();
    assert.equal(await map.getAttribute('data-tiles'), 'off', 'no tile URL configured: no tile layer');
    assert.equal(await page.locator('.leaflet-tile').count(), 0);
    assert.equal(await page.locator('.leaflet-control-scale').count(), 1, 'a scale is shown');
  });

  test('the admin registers a loudspeaker cluster through the form', async () => {
    await page.getByTestId('device-new').click();
    await page.getByTestId('device-new-form').waitFor();
    // Client-side check first: the place is required.
    await page.getByTestId('dn-name').fill(DEVICE_NAME);
    await page.getByTestId('dn-submit').click();
    await page.getByTestId('device-new-msg').filter({ hasText: 'Vui lòng chọn xã hoặc thôn' }).waitFor();
    await page.getByTestId('dn-kind').selectOption('cluster');
    await page.getByTestId('dn-serial').fill(SERIAL);
    await page.getByTestId('dn-imei').fill('356938035643809');
    await page.getByTestId('dn-vendor').fill('BY TECH');
    await page.getByTestId('dn-model').fill('IP-LOA-30');
    await page.getByTestId('dn-place-input').fill('hac thanh');
    await page.getByTestId('dn-place-option-14797').click();
    await page.getByTestId('dn-lat').fill('19.8075');
    await page.getByTestId('dn-lon').fill('105.7764');
    await page.getByTestId('dn-horns').fill('3');
    await page.getByTestId('dn-watts').fill('60');
    await page.getByTestId('dn-submit').click();
    await page.getByTestId('device-title').filter({ hasText: DEVICE_NAME }).waitFor();
    deviceId = decodeURIComponent(new URL(page.url()).hash.replace('#/devices/', ''));
    assert.match(deviceId, /^d[0-9a-f]{16}$/, `device id from the URL: ${deviceId}`);
    await page.getByTestId('flash').waitFor();
    assert.equal(await page.getByTestId('dd-serial').textContent(), SERIAL);
    assert.equal(await page.getByTestId('dd-status').textContent(), 'Đã đăng ký');
    assert.equal(await page.getByTestId('dd-condition').getAttribute('data-condition'), 'never');
  });

  test('the device is in the table and on the map (without tiles)', async () => {
    await page.getByTestId('device-back').click();
    const row = page.getByTestId(`device-row-${deviceId}`);
    await row.waitFor();
    assert.match(await row.textContent(), /Cụm loa Nhà văn hoá/);
    assert.match(await row.textContent(), /Chưa kết nối/);
    assert.equal(await page.getByTestId('count-total-value').textContent(), '1');
    const marker = page.locator(`path.dev-marker-${deviceId}`);
    await marker.waitFor();
    assert.match(await marker.getAttribute('class'), /cond-never/);
    assert.equal(await page.getByTestId('device-map').getAttribute('data-markers'), '1');
    assert.equal(await page.locator('.leaflet-tile').count(), 0, 'still no tiles');
    // Search narrows the table (server side, debounced).
    await page.getByTestId('dev-filter-q').fill('không-có-thiết-bị-này');
    await page.getByTestId('devices-empty').waitFor();
    await page.getByTestId('dev-filter-q').fill('');
    await row.waitFor();
    await page.screenshot({ path: screenshotPath('devices-dashboard.png'), fullPage: true });
  });

  test('the detail page provisions the device: bundle download and QR code', async () => {
    await page.getByTestId(`device-link-${deviceId}`).click();
    await page.getByTestId('device-title').filter({ hasText: DEVICE_NAME }).waitFor();
    await page.getByTestId('dd-provision').click();
    await page.getByTestId('provision-bundle').waitFor();
    const qr = page.getByTestId('provision-qr');
    await qr.waitFor();
    assert.match(await qr.getAttribute('src'), /^data:image\/svg\+xml/);
    assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), 'the QR code SVG renders');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('provision-download').click()]);
    assert.equal(download.suggestedFilename(), `nguon-agent-${deviceId}.json`);
    const stream = await download.createReadStream();
    let text = '';
    for await (const chunk of stream) text += chunk;
    const bundle = JSON.parse(text);
    assert.equal(bundle.device, deviceId);
    await page.getByTestId('dd-status').filter({ hasText: 'Đã cấp cấu hình' }).waitFor();
    // A command to an offline device is accepted (queued) or refused with a clear message.
    await page.getByTestId('dd-volume-slider').fill('60');
    await page.getByTestId('dd-volume-set').click();
    await page.getByTestId('device-msg').waitFor({ state: 'visible' });
    await page.screenshot({ path: screenshotPath('device-detail.png'), fullPage: true });
  });

  test('a CSV with one bad row is rejected with a per-row error report; fixed, it imports', async () => {
    await page.goto('/#/devices/import');
    const header = 'serial,imei,kind,name,vendor,model,firmware,commune_code,village_code,lat,lon,horns,watts';
    const good = 'SN-CSV-0002,,cluster,Cụm loa chợ Hạc Thành,VNPT,L1,1.0.0,14797,,19.80,105.78,2,50';
    const bad = 'SN-CSV-0003,,radio,Cụm loa sai loại,VNPT,L1,1.0.0,14797,,19.81,105.77,2,50';
    await page.getByTestId('import-file').setInputFiles({ name: 'loa.csv', mimeType: 'text/csv', buffer: Buffer.from(`${header}\n${good}\n${bad}\n`) });
    await page.getByTestId('import-preview-row-2').waitFor();
    assert.match(await page.getByTestId('import-count').textContent(), /2 dòng/);
    await page.getByTestId('import-upload').click();
    await page.getByTestId('import-rejected').waitFor();
    const rows = page.getByTestId('import-errors').locator('tbody tr');
    assert.ok((await rows.count()) >= 1);
    const fields = await page.getByTestId('import-errors').locator('tbody tr td:nth-child(2)').allTextContents();
    assert.ok(fields.includes('kind'), `an error names the kind column (got ${JSON.stringify(fields)})`);
    await page.screenshot({ path: screenshotPath('devices-import-errors.png'), fullPage: true });
    // Nothing was created by the rejected file.
    const list = await apiJson(page, '/api/v1/devices');
    assert.equal(list.body.counts.total, 1);

    const fixed = bad.replace(',radio,', ',board,');
    await page.getByTestId('import-file').setInputFiles({ name: 'loa.csv', mimeType: 'text/csv', buffer: Buffer.from(`${header}\n${good}\n${fixed}\n`) });
    await page.getByTestId('import-upload').click();
    await page.getByTestId('import-done').filter({ hasText: 'Đã nhập 2 thiết bị' }).waitFor();
    assert.equal(await page.getByTestId('import-progress').evaluate((p) => p.value), 100);
  });

  test('the schedule week view navigates by week', async () => {
    await page.getByTestId('nav-schedule').click();
    const grid = page.getByTestId('week-grid');
    await grid.waitFor();
    assert.equal(await grid.locator('section.wk-day').count(), 7);
    const week = await grid.getAttribute('data-week');
    await page.getByTestId('week-next').click();
    await page.locator(`[data-testid="week-grid"]:not([data-week="${week}"])`).waitFor();
    const next = await page.getByTestId('week-grid').getAttribute('data-week');
    assert.equal((Date.parse(next) - Date.parse(week)) / 86_400_000, 7);
    await page.getByTestId('week-today').click();
    await page.locator(`[data-testid="week-grid"][data-week="${week}"]`).waitFor();
  });

  test('the admin creates a daily programme; it appears in the list and the week view', async () => {
    await page.getByTestId('programme-new').click();
    await page.getByTestId('programme-form').waitFor();
    await page.getByTestId('pg-name').fill(PROGRAMME);
    await page.getByTestId('pg-targets-add-input').fill('hac thanh');
    await page.getByTestId('pg-targets-add-option-14797').click();
    await page.getByTestId('pg-targets-14797').waitFor();
    await page.getByTestId('pg-rec-daily').check();
    await page.getByTestId('pg-start').fill('06:00');
    await page.getByTestId('pg-duration').fill('30');
    await page.getByTestId('pg-priority').selectOption('normal');
    // An empty playlist is refused in the browser.
    await page.getByTestId('pg-save').click();
    await page.getByTestId('programme-msg').filter({ hasText: 'Danh sách phát cần ít nhất một mục' }).waitFor();
    await page.getByTestId('pg-stream-url').fill('http://127.0.0.1:9/vov1.ogg');
    await page.getByTestId('pg-stream-title').fill('VOV1');
    await page.getByTestId('pg-stream-minutes').fill('30');
    await page.getByTestId('pg-add-stream').click();
    await page.getByTestId('pg-item-0').filter({ hasText: 'VOV1' }).waitFor();
    await page.getByTestId('pg-save').click();
    await page.getByTestId('flash').filter({ hasText: PROGRAMME }).waitFor();
    const link = page.getByTestId('programme-table').getByRole('link', { name: PROGRAMME });
    await link.waitFor();
    const id = (await link.getAttribute('href')).replace('#/schedule/', '');
    await page.locator(`[data-testid^="wk-slot-${id}-"]`).first().waitFor();
    await page.screenshot({ path: screenshotPath('schedule-week.png'), fullPage: true });
  });

  test('an overlapping programme is refused with the conflict shown', async () => {
    await page.getByTestId('programme-new').click();
    await page.getByTestId('pg-name').fill('Chương trình trùng giờ');
    await page.getByTestId('pg-targets-add-input').fill('hac thanh');
    await page.getByTestId('pg-targets-add-option-14797').click();
    await page.getByTestId('pg-start').fill('06:10');
    await page.getByTestId('pg-duration').fill('20');
    await page.getByTestId('pg-stream-url').fill('http://127.0.0.1:9/vov2.ogg');
    await page.getByTestId('pg-add-stream').click();
    await page.getByTestId('pg-save').click();
    const conflict = page.getByTestId('programme-conflict');
    await conflict.waitFor();
    assert.match(await conflict.textContent(), /Trùng lịch phát/);
    assert.match(await conflict.textContent(), new RegExp(PROGRAMME));
    await page.screenshot({ path: screenshotPath('schedule-conflict.png'), fullPage: true });
  });

  test('the play log shows filters, the airtime chart and the table', async () => {
    await page.getByTestId('nav-plays').click();
    await page.getByTestId('plays-filters').waitFor();
    await page.locator('[data-testid="plays-empty"], [data-testid="plays-table"]').first().waitFor();
    await page.locator('[data-testid="airtime-empty"], [data-testid="airtime-chart"]').first().waitFor();
    await page.getByTestId('plays-by').selectOption('device');
    await page.locator('[data-testid="airtime-empty"], [data-testid="airtime-chart"]').first().waitFor();
  });

  test('the broadcast dialog opens from the dashboard and checks its input', async () => {
    await page.getByTestId('nav-devices').click();
    await page.getByTestId('broadcast-open').click();
    const dialog = page.getByTestId('broadcast-dialog');
    await dialog.waitFor();
    await page.getByTestId('bc-submit').click();
    await page.getByTestId('broadcast-msg').filter({ hasText: 'ít nhất một khu vực' }).waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  test('English labels and a narrow phone screen', async () => {
    await page.getByTestId('lang-en').click();
    await page.getByTestId('nav-devices').filter({ hasText: 'Devices' }).waitFor();
    await page.getByTestId('nav-devices').click();
    await page.getByTestId('count-online').filter({ hasText: 'Online' }).waitFor();
    await page.setViewportSize({ width: 360, height: 740 });
    await page.getByTestId(`device-row-${deviceId}`).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `no horizontal scrolling on a phone (overflow ${overflow}px)`);
    await page.screenshot({ path: screenshotPath('devices-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByTestId('lang-vi').click();
    await page.getByTestId('nav-devices').filter({ hasText: 'Thiết bị' }).waitFor();
  });

  test('a viewer sees the device screens read-only', async () => {
    const viewer = await server.createUser({ username: 'xem.hacthanh', name: 'Người xem Hạc Thành', unit: '14797', roles: ['viewer@14797'] });
    const ctx = await newPage(browser, server.baseURL);
    await firstLogin(ctx.page, viewer.username, viewer.password, 'Xem-Hac-Thanh-2026!');
    await ctx.page.getByTestId('nav-devices').click();
    await ctx.page.getByTestId('devices-readonly').waitFor();
    assert.equal(await ctx.page.getByTestId('device-new').count(), 0);
    assert.equal(await ctx.page.getByTestId('broadcast-open').count(), 0);
    await ctx.page.getByTestId('nav-schedule').click();
    await ctx.page.getByTestId('week-grid').waitFor();
    assert.equal(await ctx.page.getByTestId('programme-new').count(), 0);
    assert.deepEqual(ctx.errors, []);
    await ctx.context.close();
  });

  test('no page error, no CSP violation, nothing fetched from outside the server', async () => {
    assert.deepEqual(errors, []);
    assert.deepEqual(cspViolations, []);
    assert.deepEqual(foreignRequests, []);
    await context.close();
  });
});
