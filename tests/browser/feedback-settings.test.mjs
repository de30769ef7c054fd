// Feedback settings (#/feedback/settings) against the real server: the province admin of the
// harness opens the screen from the inbox, edits a category's answer deadline (saved, its
// additional-information definition kept) and adds a category, creates a specialised agency under
// province 38, adds the routing rule roads × Phường Hạc Thành (14797) → that agency and sees it
// listed (a duplicate is refused with 409 rule_exists); feedback entered by a staff user in 14797
// for roads goes to the agency while the rule exists and to the commune's People's Committee once
// it is deleted. A commune feedback handler (no admin role) gets a refusal; a commune admin sees
// the screen with the categories read-only. English labels, a phone-sized screen, no page error.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiJson, firstLogin, launchBrowser, login, newPage, pageWatch, screenshotPath, startServer } from './harness.mjs';

const NEW_PW = 'Mat-khau-moi-2026!';
const COMMUNE = '14797'; // Phường Hạc Thành, Thanh Hoá (scope 38 of the harness)
const PROVINCE = '38';
const AGENCY = 'Sở Xây dựng tỉnh Thanh Hóa';

describe('feedback settings: categories, agencies, routing rules', { timeout: 300_000 }, () => {
  let server;
  let browser;
  let admin; // { page, context, errors }
  const users = {};
  const pages = {};
  const { cspViolations, watch: watchPage } = pageWatch();
  let agencyId = 0;
  let ruleId = 0;
  let servicesBefore = [];

  const watch = (p, who) => {
    watchPage(p.page, server.baseURL, who);
    return p;
  };

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    const specs = [
      ['handler', 'xuly.hacthanh', 'Xử lý phản ánh Hạc Thành', ['feedback_handler@14797']],
      ['communeAdmin', 'quantri.hacthanh', 'Quản trị Hạc Thành', ['admin@14797']],
    ];
    for (const [key, username, name, roles] of specs) {
      users[key] = await server.createUser({ username, name, unit: COMMUNE, roles });
    }
    admin = watch(await newPage(browser, server.baseURL), 'admin');
    await login(admin.page, server.admin.username, server.admin.password);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const signIn = async (key) => {
    const p = watch(await newPage(browser, server.baseURL), key);
    await firstLogin(p.page, users[key].username, users[key].password, NEW_PW);
    pages[key] = p;
    return p.page;
  };

  const services = async (page) => {
    const r = await apiJson(page, '/api/v1/feedback-services?all=1');
    assert.equal(r.status, 200);
    return r.body.items;
  };

  /** Chooses a unit in a unit picker by typing `query` and clicking the option for `code`. */
  const pick = async (page, testid, query, code) => {
    await page.getByTestId(`${testid}-input`).fill(query);
    await page.getByTestId(`${testid}-option-${code}`).click();
    await page.getByTestId(`${testid}-selected`).filter({ hasText: `(${code})` }).waitFor();
  };

  /** Staff entry of a roads feedback in the commune; returns GET /feedback/{id} read by the admin. */
  const enterRoadsFeedback = async (text) => {
    const created = await apiJson(pages.handler.page, '/api/v1/feedback', 'POST', {
      service_code: 'roads',
      description: text,
      commune_code: COMMUNE,
      contact_name: 'Lê Văn Hùng',
      contact_phone: '0912000111',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const detail = await apiJson(admin.page, `/api/v1/feedback/${created.body.id}`);
    assert.equal(detail.status, 200);
    return detail.body;
  };

  test('an admin opens the settings from the feedback inbox: three cards', async () => {
    const { page } = admin;
    servicesBefore = await services(page);
    await page.getByTestId('nav-feedback').click();
    await page.getByTestId('fb-settings-link').click();
    await page.waitForURL(/#\/feedback\/settings$/);
    assert.equal(await page.locator('h1').textContent(), 'Cấu hình phản ánh');
    assert.equal(await page.getByTestId('nav-feedback').getAttribute('aria-current'), 'page');
    await page.getByTestId('fbset-svc-row-roads').waitFor();
    assert.match(await page.locator('#fbset-svc-title').textContent(), /Lĩnh vực phản ánh/);
    assert.match(await page.locator('#fbset-agency-title').textContent(), /Cơ quan xử lý chuyên ngành/);
    assert.match(await page.locator('#fbset-rule-title').textContent(), /Quy tắc chuyển phản ánh/);
    // Every category (active or not) is listed, with its deadlines and its attributes as a count.
    const rows = await page.locator('[data-testid^="fbset-svc-row-"]').count();
    assert.equal(rows, servicesBefore.length);
    const env = servicesBefore.find((s) => s.code === 'environment');
    assert.equal(await page.getByTestId('fbset-svc-answer-environment').textContent(), String(env.answer_days));
    assert.equal(await page.getByTestId('fbset-svc-attrs-environment').getAttribute('data-count'), String(env.attributes.length));
    assert.ok(env.attributes.length > 0, 'environment has an attribute definition');
    await page.getByTestId('fbset-agency-empty').waitFor();
    await page.getByTestId('fbset-rule-empty').waitFor();
    const hint = await page.getByTestId('fbset-rule-hint').textContent();
    assert.match(hint, /cụ thể nhất/);
    assert.match(hint, /UBND xã\/phường/);
    assert.equal(await page.getByTestId('fbset-svc-readonly').count(), 0, 'a province admin edits categories');
  });

  test('edits a category’s answer deadline; saved, attributes and keywords kept', async () => {
    const { page } = admin;
    const before = servicesBefore.find((s) => s.code === 'environment');
    await page.getByTestId('fbset-svc-edit-environment').click();
    const form = page.getByTestId('fbset-svc-form');
    await form.waitFor();
    assert.match(await page.getByTestId('fbset-svc-form-attrs-hint').textContent(), /1 mục.*JSON/);
    assert.equal(await page.getByTestId('fbset-svc-form-name-vi').inputValue(), before.name_vi);
    // Out of range: refused in the browser.
    await page.getByTestId('fbset-svc-form-answer-days').fill('0');
    await page.getByTestId('fbset-svc-form-submit').click();
    await page.getByTestId('fbset-svc-form-msg').filter({ hasText: 'hạn trả lời từ 1 đến 120' }).waitFor();
    assert.equal(await page.getByTestId('fbset-svc-form-answer-days').getAttribute('aria-invalid'), 'true');
    await page.getByTestId('fbset-svc-form-answer-days').fill('25');
    await page.getByTestId('fbset-svc-form-forward-days').fill('3');
    await page.getByTestId('fbset-svc-form-submit').click();
    await page.getByTestId('fbset-svc-msg').filter({ hasText: 'Đã lưu lĩnh vực' }).waitFor();
    assert.equal(await form.count(), 0, 'the form closes');
    assert.equal(await page.getByTestId('fbset-svc-answer-environment').textContent(), '25');
    assert.equal(await page.getByTestId('fbset-svc-forward-environment').textContent(), '3');
    const after = (await services(page)).find((s) => s.code === 'environment');
    assert.equal(after.answer_days, 25);
    assert.equal(after.forward_days, 3);
    // The definition is kept (the server writes it back in its canonical form, e.g. with
    // Open311's default "variable": true).
    const essentials = (list) => list.map(({ code, datatype, required, description, order, values }) => ({ code, datatype, required, description, order, values }));
    assert.deepEqual(essentials(after.attributes), essentials(before.attributes), 'the attribute definition is kept');
    assert.equal(after.keywords, before.keywords, 'the keywords are kept');
    assert.equal(after.name_vi, before.name_vi);
    assert.equal(after.active, true);
    // Still there after a reload.
    await page.reload();
    await page.getByTestId('fbset-svc-row-environment').waitFor();
    assert.equal(await page.getByTestId('fbset-svc-answer-environment').textContent(), '25');
  });

  test('adds a category; a bad or existing code is refused', async () => {
    const { page } = admin;
    await page.getByTestId('fbset-svc-new').click();
    await page.getByTestId('fbset-svc-new-form').waitFor();
    await page.getByTestId('fbset-svc-new-form-code').fill('Nước sạch');
    await page.getByTestId('fbset-svc-new-form-name-vi').fill('Nước sạch, cấp thoát nước');
    await page.getByTestId('fbset-svc-new-form-submit').click();
    await page.getByTestId('fbset-svc-new-form-msg').filter({ hasText: 'chữ thường không dấu' }).waitFor();
    await page.getByTestId('fbset-svc-new-form-code').fill('roads');
    await page.getByTestId('fbset-svc-new-form-submit').click();
    await page.getByTestId('fbset-svc-new-form-msg').filter({ hasText: 'Đã có lĩnh vực mã “roads”' }).waitFor();
    await page.getByTestId('fbset-svc-new-form-code').fill('clean_water');
    await page.getByTestId('fbset-svc-new-form-name-en').fill('Clean water and drainage');
    await page.getByTestId('fbset-svc-new-form-group').fill('Hạ tầng');
    await page.getByTestId('fbset-svc-new-form-answer-days').fill('15');
    await page.getByTestId('fbset-svc-new-form-submit').click();
    await page.getByTestId('fbset-svc-msg').filter({ hasText: 'Đã thêm lĩnh vực “Nước sạch, cấp thoát nước”' }).waitFor();
    await page.getByTestId('fbset-svc-row-clean_water').waitFor();
    assert.equal(await page.getByTestId('fbset-svc-answer-clean_water').textContent(), '15');
    const saved = (await services(page)).find((s) => s.code === 'clean_water');
    assert.ok(saved, 'the category exists');
    assert.equal(saved.name_en, 'Clean water and drainage');
    assert.equal(saved.group, 'Hạ tầng');
    assert.equal(saved.forward_days, 2);
    assert.equal(saved.answer_days, 15);
    assert.deepEqual(saved.attributes, []);
  });

  test('creates an agency under province 38 and edits it', async () => {
    const { page } = admin;
    await page.getByTestId('fbset-agency-new').click();
    await page.getByTestId('fbset-agency-form').waitFor();
    await page.getByTestId('fbset-agency-submit').click();
    await page.getByTestId('fbset-agency-form-msg').filter({ hasText: 'Vui lòng chọn đơn vị' }).waitFor();
    await pick(page, 'fbset-agency-unit', PROVINCE, PROVINCE);
    await page.getByTestId('fbset-agency-name').fill(AGENCY);
    await page.getByTestId('fbset-agency-email').fill('not-an-address');
    await page.getByTestId('fbset-agency-submit').click();
    await page.getByTestId('fbset-agency-form-msg').filter({ hasText: 'thư điện tử không hợp lệ' }).waitFor();
    await page.getByTestId('fbset-agency-email').fill('soxaydung@thanhhoa.gov.vn');
    await page.getByTestId('fbset-agency-submit').click();
    await page.getByTestId('fbset-agency-msg').filter({ hasText: `Đã thêm cơ quan “${AGENCY}”` }).waitFor();
    const row = page.locator('[data-testid^="fbset-agency-row-"]');
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    agencyId = Number((await row.first().getAttribute('data-testid')).replace('fbset-agency-row-', ''));
    assert.ok(agencyId > 0);
    assert.equal(await row.first().getAttribute('data-unit'), PROVINCE);
    assert.equal(await page.getByTestId(`fbset-agency-name-${agencyId}`).textContent(), AGENCY);
    await page.getByTestId(`fbset-agency-unit-${agencyId}`).filter({ hasText: 'Thanh Hóa' }).waitFor();

    // Edit: the form comes back filled; change the e-mail.
    await page.getByTestId(`fbset-agency-edit-${agencyId}`).click();
    await page.locator(`[data-testid="fbset-agency-form"][data-id="${agencyId}"]`).waitFor();
    assert.equal(await page.getByTestId('fbset-agency-name').inputValue(), AGENCY);
    await page.getByTestId('fbset-agency-unit-selected').filter({ hasText: `(${PROVINCE})` }).waitFor();
    await page.getByTestId('fbset-agency-email').fill('tiepdan.sxd@thanhhoa.gov.vn');
    await page.getByTestId('fbset-agency-submit').click();
    await page.getByTestId('fbset-agency-msg').filter({ hasText: `Đã lưu cơ quan “${AGENCY}”` }).waitFor();
    assert.equal(await page.getByTestId(`fbset-agency-email-${agencyId}`).textContent(), 'tiepdan.sxd@thanhhoa.gov.vn');

    const list = await apiJson(page, '/api/v1/agencies');
    assert.equal(list.status, 200);
    const a = list.body.items.find((x) => x.id === agencyId);
    assert.deepEqual(
      { unit_code: a.unit_code, name: a.name, email: a.email, supervisor_agency: a.supervisor_agency, active: a.active },
      { unit_code: PROVINCE, name: AGENCY, email: 'tiepdan.sxd@thanhhoa.gov.vn', supervisor_agency: 0, active: true },
    );
  });

  test('adds the rule roads × 14797 → the agency; it is listed; a duplicate is refused', async () => {
    const { page } = admin;
    await page.getByTestId('fbset-rule-submit').click();
    await page.getByTestId('fbset-rule-form-msg').filter({ hasText: 'Vui lòng chọn địa bàn' }).waitFor();
    await page.getByTestId('fbset-rule-service').selectOption('roads');
    await pick(page, 'fbset-rule-area', 'hac thanh', COMMUNE);
    // Without a handling unit no agency is offered; with province 38, its agency is.
    assert.equal(await page.getByTestId('fbset-rule-agency').getAttribute('data-count'), '0');
    await pick(page, 'fbset-rule-body', PROVINCE, PROVINCE);
    assert.equal(await page.getByTestId('fbset-rule-agency').getAttribute('data-count'), '1');
    await page.getByTestId('fbset-rule-agency').selectOption(String(agencyId));
    await page.getByTestId('fbset-rule-submit').click();
    await page.getByTestId('fbset-rule-msg').filter({ hasText: 'Đã thêm quy tắc' }).waitFor();
    const row = page.locator('[data-testid^="fbset-rule-row-"]');
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    ruleId = Number((await row.first().getAttribute('data-testid')).replace('fbset-rule-row-', ''));
    assert.equal(await row.first().getAttribute('data-service'), 'roads');
    assert.equal(await row.first().getAttribute('data-area'), COMMUNE);
    assert.equal(await row.first().getAttribute('data-agency'), String(agencyId));
    assert.equal(await page.getByTestId(`fbset-rule-service-${ruleId}`).textContent(), 'Giao thông, đường sá, chiếu sáng');
    await page.getByTestId(`fbset-rule-area-${ruleId}`).filter({ hasText: 'Hạc Thành' }).waitFor();
    assert.match(await page.getByTestId(`fbset-rule-body-${ruleId}`).textContent(), new RegExp(AGENCY));
    const rules = await apiJson(page, '/api/v1/routing-rules');
    assert.deepEqual(rules.body.items, [{ id: ruleId, service_code: 'roads', area_code: COMMUNE, body_unit: PROVINCE, agency_id: agencyId }]);

    // The same category and area again: the server's 409 rule_exists, in words.
    await page.getByTestId('fbset-rule-service').selectOption('roads');
    await pick(page, 'fbset-rule-area', 'hac thanh', COMMUNE);
    await pick(page, 'fbset-rule-body', COMMUNE, COMMUNE);
    await page.getByTestId('fbset-rule-submit').click();
    await page.getByTestId('fbset-rule-form-msg').filter({ hasText: 'Đã có quy tắc cho lĩnh vực này tại địa bàn này' }).waitFor();
    assert.equal(await row.count(), 1);
    await page.screenshot({ path: screenshotPath('feedback-settings.png'), fullPage: true });
  });

  test('new feedback for roads in 14797 goes to the agency while the rule exists', async () => {
    await signIn('handler');
    const d = await enterRoadsFeedback('Đèn đường trên phố Trần Phú bị hỏng cả tuần nay, buổi tối rất tối.');
    assert.equal(d.feedback.agency_id, agencyId);
    assert.equal(d.feedback.body_unit, PROVINCE);
    assert.equal(d.body_name, AGENCY);
  });

  test('deletes the rule; new feedback goes to the commune’s People’s Committee again', async () => {
    const { page } = admin;
    await page.getByTestId(`fbset-rule-delete-${ruleId}`).click(); // the confirm dialog is accepted
    await page.getByTestId('fbset-rule-msg').filter({ hasText: 'Đã xoá quy tắc' }).waitFor();
    await page.getByTestId('fbset-rule-empty').waitFor();
    const rules = await apiJson(page, '/api/v1/routing-rules');
    assert.deepEqual(rules.body.items, []);
    const d = await enterRoadsFeedback('Cống thoát nước ở ngõ 12 phố Lê Lai bị tắc, nước tràn ra đường.');
    assert.equal(d.feedback.agency_id, 0);
    assert.equal(d.feedback.body_unit, COMMUNE);
  });

  test('a commune feedback handler without the admin role is refused', async () => {
    const page = pages.handler.page;
    await page.goto('/#/feedback');
    await page.getByTestId('fb-table-wrap').waitFor();
    assert.equal(await page.getByTestId('fb-settings-link').count(), 0, 'no settings link in the inbox');
    await page.goto('/#/feedback/settings');
    await page.getByTestId('fbset-forbidden').filter({ hasText: 'không có quyền' }).waitFor();
    assert.equal(await page.getByTestId('fbset-services').count(), 0);
    const put = await apiJson(page, '/api/v1/feedback-services/roads', 'PUT', { name_vi: 'Đường sá' });
    assert.equal(put.status, 403, 'the server refuses too');
  });

  test('a commune admin sees the screen with the categories read-only', async () => {
    const page = await signIn('communeAdmin');
    await page.goto('/#/feedback');
    await page.getByTestId('fb-settings-link').click();
    await page.getByTestId('fbset-svc-row-roads').waitFor();
    await page.getByTestId('fbset-svc-readonly').waitFor();
    assert.equal(await page.getByTestId('fbset-svc-edit-roads').count(), 0);
    assert.equal(await page.getByTestId('fbset-svc-new').count(), 0);
    // The province agency is outside the commune admin's scope; the rule form is there.
    await page.getByTestId('fbset-agency-empty').waitFor();
    await page.getByTestId('fbset-rule-form').waitFor();
  });

  test('English labels, a phone-sized screen, no page error, no CSP violation', async () => {
    const { page } = admin;
    await page.getByTestId('lang-en').click();
    await page.getByTestId('fbset-svc-row-roads').waitFor();
    assert.equal(await page.locator('h1').textContent(), 'Feedback settings');
    assert.match(await page.getByTestId('fbset-rule-hint').textContent(), /most specific area/);
    assert.equal(await page.getByTestId('fbset-rule-empty').textContent(), 'No rules yet: all feedback goes to the People’s Committee of its commune.');
    assert.match(await page.getByTestId('fbset-svc-name-roads').textContent(), /Giao thông/);
    await page.getByTestId('lang-vi').click();
    await page.setViewportSize({ width: 360, height: 740 });
    await page.getByTestId('fbset-svc-row-roads').waitFor();
    await page.getByTestId('fbset-svc-edit-roads').click();
    await page.getByTestId('fbset-svc-form').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `no horizontal scrolling at 360 px (overflow ${overflow} px)`);
    await page.screenshot({ path: screenshotPath('feedback-settings-phone.png'), fullPage: true });
    const errors = [admin, ...Object.values(pages)].flatMap((p) => p.errors);
    assert.deepEqual(errors, [], 'no uncaught page errors');
    assert.deepEqual(cspViolations, [], 'no CSP violation');
  });
});
