// Acceptance scenario of the web console against the real server: a provincial admin searches
// units, adds a village, creates a commune editor; the editor signs in (forced password change)
// and sees only their commune, in the UI and through the API with the browser's session.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fetchStatus, launchBrowser, login, newPage, screenshotPath, startServer } from './harness.mjs';

const EDITOR = 'bientap.hacthanh';
const EDITOR_NAME = 'Biên tập viên Hạc Thành';
const EDITOR_NEW_PASSWORD = 'Hac-Thanh-mat-khau-2026!';

describe('web console: admin and commune editor', { timeout: 180_000 }, () => {
  let server;
  let browser;
  let page;
  let errors;
  let editorPassword = '';

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    ({ page, errors } = await newPage(browser, server.baseURL));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('admin signs in through the login page', async () => {
    await page.goto('/');
    await page.getByTestId('login-username').waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'vi');
    await login(page, server.admin.username, server.admin.password);
    await page.getByTestId('nav-units').waitFor();
    assert.equal(await page.getByTestId('nav-users').isVisible(), true, 'an admin sees the Users entry');
    assert.equal(await page.getByTestId('header-unit').textContent(), 'Tỉnh Thanh Hóa');
  });

  test('search "thanh hoa" finds Tỉnh Thanh Hóa (diacritic-insensitive)', async () => {
    await page.getByTestId('unit-search').fill('thanh hoa');
    await page.getByTestId('unit-search').press('Enter');
    const hit = page.getByTestId('search-result-38');
    await hit.waitFor();
    assert.match(await hit.textContent(), /Tỉnh Thanh Hóa/);
    assert.match(await hit.textContent(), /Cấp tỉnh/);
    await hit.getByRole('link').click();
    await page.getByTestId('unit-detail-code').filter({ hasText: /^38$/ }).waitFor();
    assert.equal(await page.getByTestId('unit-detail-name').textContent(), 'Tỉnh Thanh Hóa');
  });

  test('the language switch shows English labels and is remembered', async () => {
    await page.getByTestId('lang-en').click();
    await page.getByTestId('nav-units').filter({ hasText: 'Administrative units' }).waitFor();
    assert.equal(await page.getByTestId('nav-users').textContent(), 'Users');
    assert.equal(await page.getByTestId('logout').textContent(), 'Sign out');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    await page.reload();
    await page.getByTestId('nav-units').filter({ hasText: 'Administrative units' }).waitFor();
    assert.equal(await page.getByTestId('nav-password').textContent(), 'Change password');
    await page.getByTestId('lang-vi').click();
    await page.getByTestId('nav-units').filter({ hasText: 'Đơn vị hành chính' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'vi');
  });

  test('admin adds "Tổ dân phố Đông Hải" to Phường Hạc Thành and finds it by "dong hai"', async () => {
    await page.goto('/#/units/14797');
    await page.getByTestId('unit-detail-name').filter({ hasText: 'Phường Hạc Thành' }).waitFor();
    assert.equal(await page.getByTestId('unit-detail-level').textContent(), 'Cấp xã');
    await page.getByTestId('unit-can-admin').waitFor();
    await page.getByTestId('village-name').fill('Tổ dân phố Đông Hải');
    await page.getByTestId('village-type').selectOption('tổ dân phố');
    await page.getByTestId('village-submit').click();
    await page.getByTestId('village-msg').filter({ hasText: 'Đã thêm' }).waitFor();
    await page.getByTestId('village-list').getByText('Tổ dân phố Đông Hải').waitFor();

    await page.getByTestId('unit-search').fill('dong hai');
    await page.getByTestId('unit-search').press('Enter');
    const results = page.getByTestId('unit-search-results');
    await results.getByText('Tổ dân phố Đông Hải').waitFor();
    assert.match(await results.textContent(), /Phường Hạc Thành/, 'the chain of names is shown');
    await page.screenshot({ path: screenshotPath('units-admin.png'), fullPage: true });
  });

  test(`admin creates the commune editor ${EDITOR} and gets a one-time password`, async () => {
    await page.getByTestId('nav-users').click();
    await page.getByTestId(`user-row-${server.admin.username}`).waitFor();
    await page.getByTestId('user-create-open').click();
    await page.getByTestId('new-username').fill(EDITOR);
    await page.getByTestId('new-display-name').fill(EDITOR_NAME);
    await page.getByTestId('new-unit-input').fill('hac thanh');
    await page.getByTestId('new-unit-option-14797').click();
    assert.match(await page.getByTestId('new-unit-selected').textContent(), /14797/);
    // The first grant row takes the user's unit; make it an editor grant.
    await page.getByTestId('new-grant-role-0').selectOption('editor');
    assert.match(await page.getByTestId('new-grant-unit-0-selected').textContent(), /Phường Hạc Thành \(14797\)/);
    await page.getByTestId('new-user-submit').click();
    const secret = page.getByTestId('generated-password');
    await secret.waitFor();
    editorPassword = await secret.inputValue();
    assert.ok(editorPassword.length >= 8, `a generated password is shown (got ${JSON.stringify(editorPassword)})`);
    const row = page.getByTestId(`user-row-${EDITOR}`);
    await row.waitFor();
    assert.match(await row.textContent(), /Biên tập viên/);
    assert.match(await row.textContent(), /Phường Hạc Thành/);
    assert.match(await page.getByTestId(`user-status-${EDITOR}`).textContent(), /Đang hoạt động/);
    await page.screenshot({ path: screenshotPath('users-admin.png'), fullPage: true });
  });

  test('admin signs out', async () => {
    await page.getByTestId('logout').click();
    await page.getByTestId('login-username').waitFor();
    assert.equal(await fetchStatus(page, '/api/v1/auth/me'), 401);
  });

  test('the editor must change the generated password first', async () => {
    assert.ok(editorPassword, 'needs the password from the create-user step');
    await login(page, EDITOR, editorPassword);
    await page.getByTestId('pw-forced').waitFor();
    assert.equal(await page.getByTestId('nav-units').count(), 0, 'no other navigation while the change is pending');
    await page.getByTestId('pw-current').fill(editorPassword);
    await page.getByTestId('pw-new').fill(EDITOR_NEW_PASSWORD);
    await page.getByTestId('pw-confirm').fill(EDITOR_NEW_PASSWORD);
    await page.getByTestId('pw-submit').click();
    await page.getByTestId('unit-tree').waitFor();
    assert.equal(await page.getByTestId('header-user').textContent(), EDITOR_NAME);
    assert.equal(await page.getByTestId('nav-users').count(), 0, 'an editor has no Users entry');
  });

  test('the editor sees Phường Hạc Thành and not another commune', async () => {
    const tree = page.getByTestId('unit-tree');
    await tree.getByTestId('tree-node-14797').waitFor();
    assert.match(await tree.getByTestId('tree-select-14797').textContent(), /Phường Hạc Thành/);
    assert.equal(await tree.getByTestId('tree-node-16597').count(), 0);
    assert.doesNotMatch(await tree.textContent(), /Hải Lĩnh/);
    await tree.getByTestId('tree-select-14797').click();
    await page.getByTestId('unit-detail-name').filter({ hasText: 'Phường Hạc Thành' }).waitFor();
    await page.getByTestId('village-list').getByText('Tổ dân phố Đông Hải').waitFor();
    assert.equal(await page.getByTestId('village-form').count(), 0, 'an editor cannot add villages');

    // Positive control, then the commune outside the editor's scope.
    await page.getByTestId('unit-search').fill('hac thanh');
    await page.getByTestId('unit-search').press('Enter');
    await page.getByTestId('search-result-14797').waitFor();
    await page.getByTestId('unit-search').fill('hai linh');
    await page.getByTestId('unit-search').press('Enter');
    await page.getByTestId('unit-search-empty').waitFor();
    assert.equal(await page.getByTestId('search-result-16597').count(), 0);
    await page.screenshot({ path: screenshotPath('units-editor.png'), fullPage: true });
  });

  test('with the editor session the API hides other communes', async () => {
    assert.equal(await fetchStatus(page, '/api/v1/units/14797'), 200);
    assert.equal(await fetchStatus(page, '/api/v1/units/16597'), 404);
    const children = await fetchStatus(page, '/api/v1/units/16597/children');
    assert.ok(children === 404 || children === 403, `children of 16597 answered ${children}`);
    assert.equal(await fetchStatus(page, '/api/v1/users'), 403);
    // An editor is not an administrator of the commune: adding a village is refused.
    const add = await page.evaluate(async () => {
      const { csrf_token } = await (await fetch('/api/v1/auth/me')).json();
      const r = await fetch('/api/v1/units/14797/villages', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf_token },
        body: JSON.stringify({ name: 'Thôn Lạ', type: 'thôn' }),
      });
      return r.status;
    });
    assert.equal(add, 403);
    // The same via Playwright's request context, which shares the browser's cookies.
    assert.equal((await page.request.get('/api/v1/units/16597')).status(), 404);
    assert.equal((await page.request.get('/api/v1/units/14797')).status(), 200);
  });

  test('an editor opening another commune by URL gets "not found"', async () => {
    await page.goto('/#/units/16597');
    await page.getByTestId('unit-detail-error').waitFor();
    assert.match(await page.getByTestId('unit-detail-error').textContent(), /16597/);
  });

  test('no uncaught errors in the page', () => {
    assert.deepEqual(errors, []);
  });
});
