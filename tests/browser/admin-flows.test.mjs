// Further console flows against the real server: login errors, user administration (markup in
// names, roles, reset, disable), the old-commune-code lookup and the phone layout.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, login, newPage, screenshotPath, startServer } from './harness.mjs';

const MARKUP_NAME = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> Tổ trưởng';

async function createUser(page, { username, displayName, unitQuery, unitCode, role }) {
  await page.goto('/#/users');
  await page.getByTestId('user-create-open').click();
  await page.getByTestId('new-username').fill(username);
  await page.getByTestId('new-display-name').fill(displayName);
  await page.getByTestId('new-unit-input').fill(unitQuery);
  await page.getByTestId(`new-unit-option-${unitCode}`).click();
  await page.getByTestId('new-grant-role-0').selectOption(role);
  await page.getByTestId('new-user-submit').click();
  const secret = page.getByTestId('generated-password');
  await secret.waitFor();
  return secret.inputValue();
}

async function noHorizontalScroll(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
}

describe('web console: administration flows', { timeout: 240_000 }, () => {
  let server;
  let browser;
  let admin;
  const passwords = {};

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    admin = await newPage(browser, server.baseURL);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('a wrong password shows the invalid-credentials message', async () => {
    const { page, context } = await newPage(browser, server.baseURL);
    await page.goto('/');
    await page.getByTestId('login-username').fill(server.admin.username);
    await page.getByTestId('login-password').fill('not-the-password');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-error').filter({ hasText: 'Tên đăng nhập hoặc mật khẩu không đúng.' }).waitFor();
    await page.getByTestId('lang-en').click();
    await page.getByTestId('login-submit').filter({ hasText: 'Sign in' }).waitFor();
    await context.close();
  });

  test('the admin signs in', async () => {
    await login(admin.page, server.admin.username, server.admin.password);
  });

  test('markup in a display name is shown as text, never run', async () => {
    const { page } = admin;
    await page.goto('/#/users');
    await page.getByTestId('user-create-open').click();
    await page.getByTestId('new-username').fill('to.truong');
    await page.getByTestId('new-display-name').fill(MARKUP_NAME);
    await page.getByTestId('new-unit-input').fill('hai linh');
    await page.getByTestId('new-unit-option-16597').click();
    await page.getByTestId('new-grant-role-0').selectOption('viewer');
    await page.getByTestId('new-user-submit').click();
    const secret = page.getByTestId('generated-password');
    await secret.waitFor();
    passwords['to.truong'] = await secret.inputValue();
    const row = page.getByTestId('user-row-to.truong');
    await row.waitFor();
    assert.ok((await row.textContent()).includes('<script>window.__pwned=2</script>'));
    assert.equal(await row.locator('img, script').count(), 0);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
  });

  test('markup in a village name is shown as text in the detail, the tree and search', async () => {
    const { page } = admin;
    const name = 'Thôn <b>Mới</b><img src=x onerror="window.__pwned=3">';
    await page.goto('/#/units/16597');
    await page.getByTestId('unit-detail-name').filter({ hasText: 'Phường Hải Lĩnh' }).waitFor();
    await page.getByTestId('village-name').fill(name);
    await page.getByTestId('village-type').selectOption('thôn');
    await page.getByTestId('village-submit').click();
    await page.getByTestId('village-msg').filter({ hasText: 'Đã thêm' }).waitFor();
    const list = page.getByTestId('village-list');
    await list.getByText(name, { exact: true }).waitFor();
    await page.getByTestId('tree-toggle-16597').click();
    await page.getByTestId('tree-node-16597').getByText(name, { exact: true }).waitFor();
    await page.getByTestId('unit-search').fill('thon <b>moi');
    await page.getByTestId('unit-search').press('Enter');
    await page.getByTestId('unit-search-results').getByText(name, { exact: true }).waitFor();
    assert.equal(await page.locator('main img, main b').count(), 0);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
  });

  test('a duplicate username is refused with a visible message', async () => {
    const { page } = admin;
    await page.goto('/#/users');
    await page.getByTestId('user-create-open').click();
    await page.getByTestId('new-username').fill('admin');
    await page.getByTestId('new-display-name').fill('Trùng tên');
    await page.getByTestId('new-unit-input').fill('thanh hoa');
    await page.getByTestId('new-unit-option-38').click();
    await page.getByTestId('new-user-submit').click();
    await page.getByTestId('new-user-msg').filter({ hasText: 'Tên đăng nhập đã được sử dụng.' }).waitFor();
  });

  test('roles can be edited', async () => {
    const { page } = admin;
    passwords['bientap.hailinh'] = await createUser(page, {
      username: 'bientap.hailinh',
      displayName: 'Biên tập Hải Lĩnh',
      unitQuery: 'hai linh',
      unitCode: '16597',
      role: 'editor',
    });
    await page.getByTestId('user-edit-bientap.hailinh').click();
    await page.getByTestId('edit-grant-add').click();
    await page.getByTestId('edit-grant-role-1').selectOption('approver');
    await page.getByTestId('edit-grant-unit-1-input').fill('16597');
    await page.getByTestId('edit-grant-unit-1-option-16597').click();
    await page.getByTestId('edit-user-submit').click();
    await page.getByTestId('users-msg').filter({ hasText: 'Đã lưu vai trò' }).waitFor();
    const row = page.getByTestId('user-row-bientap.hailinh');
    assert.match(await row.textContent(), /Người duyệt/);
    assert.match(await row.textContent(), /Biên tập viên/);
  });

  test('reset password shows a new one-time password that works', async () => {
    const { page } = admin;
    await page.getByTestId('user-reset-bientap.hailinh').click();
    const secret = page.getByTestId('generated-password');
    await secret.waitFor();
    const fresh = await secret.inputValue();
    assert.notEqual(fresh, passwords['bientap.hailinh']);
    const other = await newPage(browser, server.baseURL);
    await login(other.page, 'bientap.hailinh', fresh);
    await other.page.getByTestId('pw-forced').waitFor();
    await other.context.close();
    passwords['bientap.hailinh'] = fresh;
  });

  test('a disabled account cannot sign in, and can be enabled again', async () => {
    const { page } = admin;
    await page.getByTestId('user-toggle-bientap.hailinh').click();
    await page.getByTestId('user-status-bientap.hailinh').filter({ hasText: 'Đã vô hiệu hoá' }).waitFor();
    const other = await newPage(browser, server.baseURL);
    await other.page.goto('/');
    await other.page.getByTestId('login-username').fill('bientap.hailinh');
    await other.page.getByTestId('login-password').fill(passwords['bientap.hailinh']);
    await other.page.getByTestId('login-submit').click();
    await other.page.getByTestId('login-error').filter({ hasText: 'vô hiệu hoá' }).waitFor();
    await other.context.close();
    await page.getByTestId('user-toggle-bientap.hailinh').click();
    await page.getByTestId('user-status-bientap.hailinh').filter({ hasText: 'Đang hoạt động' }).waitFor();
  });

  test('the old commune code lookup finds the new commune', async () => {
    const { page } = admin;
    await page.goto('/#/units');
    await page.getByTestId('legacy-code').fill('14764');
    await page.getByTestId('legacy-submit').click();
    const out = page.getByTestId('legacy-result');
    await out.getByText('Phường Trường Thi', { exact: false }).waitFor();
    assert.match(await out.textContent(), /Phường Hạc Thành \(14797\)/);
    await page.getByTestId('legacy-code').fill('99999');
    await page.getByTestId('legacy-submit').click();
    await out.filter({ hasText: 'Không tìm thấy mã xã cũ 99999' }).waitFor();
  });

  test('the console fits a phone screen', async () => {
    const phone = await newPage(browser, server.baseURL, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await login(phone.page, server.admin.username, server.admin.password);
    await phone.page.getByTestId('unit-tree').getByTestId('tree-node-14797').waitFor();
    assert.ok(await noHorizontalScroll(phone.page), 'units page scrolls sideways on a phone');
    await phone.page.screenshot({ path: screenshotPath('units-phone.png'), fullPage: false });
    await phone.page.getByTestId('nav-users').click();
    await phone.page.getByTestId(`user-row-${server.admin.username}`).waitFor();
    assert.ok(await noHorizontalScroll(phone.page), 'users page scrolls sideways on a phone');
    await phone.page.screenshot({ path: screenshotPath('users-phone.png'), fullPage: false });
    assert.deepEqual(phone.errors, []);
    await phone.context.close();
  });

  test('repeated wrong passwords end in a lock-out or rate-limit message', async (t) => {
    const { page, context } = await newPage(browser, server.baseURL);
    await page.goto('/');
    const seen = [];
    for (let i = 0; i < 12; i++) {
      await page.getByTestId('login-username').fill('bientap.hailinh');
      await page.getByTestId('login-password').fill(`wrong-${i}`);
      await page.getByTestId('login-submit').click();
      const msg = page.getByTestId('login-error');
      await msg.waitFor();
      await page.getByTestId('login-submit').filter({ hasText: /^Đăng nhập$/ }).waitFor();
      const text = await msg.textContent();
      seen.push(text);
      if (/khoá|quá nhiều/i.test(text)) break;
    }
    const last = seen.at(-1);
    t.diagnostic(`after ${seen.length} attempts: ${last}`);
    assert.match(last, /Tài khoản tạm thời bị khoá.* \d+ phút|Có quá nhiều yêu cầu/, `messages seen: ${JSON.stringify(seen)}`);
    await context.close();
  });

  test('no uncaught errors in the admin page', () => {
    assert.deepEqual(admin.errors, []);
  });
});
