// Citizen feedback end to end (issue 5, "done when"), against the real server with e-mail sent
// to an SMTP sink in the test process:
//   a citizen on a phone-sized screen files feedback on the portal (/portal/new) with an e-mail
//   address and gets a tracking code; as a first-time submitter it waits in moderation, where a
//   feedback handler of the commune accepts it (console, "Chờ kiểm duyệt" tab), then accepts it
//   for handling (Tiếp nhận), drafts and submits an answer; another user, an approver, approves
//   and publishes it; the citizen sees the answer on /portal/track; exactly one mail reached the
//   citizen, with the answer and the tracking code; an editor turns the answer into a radio
//   bulletin, which exists in status approved; the statistics show 1 received / 1 answered.
// Also: staff entry on a citizen's behalf ("Nhập phản ánh"), inbox filters, screenshots of the
// inbox and the detail, no page error and no Content-Security-Policy violation.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { firstLogin, launchBrowser, newPage, pageWatch, screenshotPath, startServer } from './harness.mjs';
import { startSmtpSink } from './smtp_sink.mjs';

const NEW_PW = 'Mat-khau-moi-2026!';
const COMMUNE = '14797'; // Phường Hạc Thành, Thanh Hoá (scope 38 of the harness)
const SERVICE = 'roads';
const CITIZEN = { name: 'Nguyễn Thị Lan', phone: '0912345678', email: 'lan.nguyen@example.vn' };
const DESCRIPTION = 'Đường Lê Lợi đoạn trước chợ có nhiều ổ gà lớn, trời mưa đọng nước rất nguy hiểm cho người đi xe máy.';
const ANSWER = 'Ủy ban nhân dân phường đã giao đội duy tu vá các ổ gà trên đường Lê Lợi trong tuần này. Cảm ơn ông bà đã phản ánh.';
const CODE_RE = /[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}/;

/** Waits until the inbox table lists exactly these feedback ids, in this order. */
async function expectRows(page, ids) {
  const want = ids.map((id) => `fb-row-${id}`);
  try {
    await page.waitForFunction(
      (w) => {
        const wrap = document.querySelector('[data-testid="fb-table-wrap"]');
        if (!wrap || wrap.querySelector('.spinner-line')) return false;
        const got = [...wrap.querySelectorAll('[data-testid^="fb-row-"]')].map((e) => e.dataset.testid);
        return JSON.stringify(got) === JSON.stringify(w);
      },
      want,
      { timeout: 10_000 },
    );
  } catch {
    const got = await page.locator('[data-testid^="fb-row-"]').evaluateAll((els) => els.map((e) => e.dataset.testid));
    assert.deepEqual(got, want, 'inbox rows');
  }
}

describe('citizen feedback: portal → moderation → answer → approval → mail → bulletin', { timeout: 300_000 }, () => {
  let sink;
  let server;
  let browser;
  const users = {};
  const pages = {};
  const pageErrors = [];
  const { cspViolations, watch: watchPage } = pageWatch();
  let citizen; // { page, context, errors }
  let trackingCode = '';
  let feedbackId = 0;
  let bulletinId = 0;

  const watch = (p, who) => {
    watchPage(p.page, server.baseURL, who);
    return p;
  };

  before(async () => {
    sink = await startSmtpSink();
    server = await startServer({ mail: { port: sink.port } });
    browser = await launchBrowser();
    const specs = [
      ['handler', 'xuly.hacthanh', 'Xử lý phản ánh Hạc Thành', ['feedback_handler@14797']],
      ['approver', 'duyet.hacthanh', 'Duyệt Hạc Thành', ['approver@14797']],
      ['editor', 'bientap.hacthanh', 'Biên tập Hạc Thành', ['editor@14797']],
    ];
    for (const [key, username, name, roles] of specs) {
      users[key] = await server.createUser({ username, name, unit: COMMUNE, roles });
    }
    citizen = watch(
      await newPage(browser, server.baseURL, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }),
      'citizen',
    );
  });

  after(async () => {
    for (const p of [citizen, ...Object.values(pages)]) if (p) pageErrors.push(...p.errors);
    await browser?.close();
    await server?.stop();
    await sink?.stop();
  });

  const signIn = async (key) => {
    const p = watch(await newPage(browser, server.baseURL), key);
    await firstLogin(p.page, users[key].username, users[key].password, NEW_PW);
    pages[key] = p;
    return p.page;
  };

  /** JSON from the API with the page's session (GET). */
  const apiGet = async (page, path) => {
    const res = await page.request.get(path);
    return { status: res.status(), body: res.ok() ? await res.json() : await res.text() };
  };

  test('a citizen files feedback on the portal from a phone and gets a tracking code', async () => {
    const { page } = citizen;
    await page.goto('/portal/new');
    // Step 1 (GET form): the commune and the category.
    await page.locator('select[name="commune"]').selectOption(COMMUNE);
    await page.locator('select[name="service"]').selectOption(SERVICE);
    await Promise.all([page.waitForURL(/\/portal\/new\?/), page.locator('form:has(select[name="service"]) button').click()]);
    // Step 2 (POST form): the details and the contact.
    const description = page.locator('textarea[name="description"]');
    await description.waitFor();
    await description.fill(DESCRIPTION);
    await page.locator('input[name="address"]').fill('Đường Lê Lợi, trước chợ Hạc Thành');
    await page.locator('input[name="name"]').fill(CITIZEN.name);
    await page.locator('input[name="phone"]').fill(CITIZEN.phone);
    await page.locator('input[name="email"]').fill(CITIZEN.email);
    await page.screenshot({ path: screenshotPath('feedback-portal-new-phone.png'), fullPage: true });
    await Promise.all([page.waitForURL(/\/portal\/track\?/), page.locator('form:has(textarea[name="description"]) button').last().click()]);
    const url = new URL(page.url());
    trackingCode = url.searchParams.get('code') ?? '';
    assert.match(trackingCode, CODE_RE, `tracking code in ${page.url()}`);
    assert.equal(url.searchParams.get('new'), '1');
    const text = await page.locator('body').innerText();
    assert.ok(text.includes(trackingCode), 'the tracking page shows the tracking code');
    // Built for phones: nothing wider than the screen.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `no horizontal scrolling at 360 px (overflow ${overflow} px)`);
    await page.screenshot({ path: screenshotPath('feedback-portal-tracking-phone.png'), fullPage: true });
  });

  test('the handler sees it in the moderation tab and accepts it', async () => {
    const page = await signIn('handler');
    const nav = page.getByTestId('nav-feedback');
    assert.equal(await nav.textContent(), 'Phản ánh');
    await nav.click();
    await page.getByTestId('fb-tab-moderation').click();
    const row = page.locator('[data-testid^="fb-row-"]');
    await row.first().waitFor();
    assert.equal(await row.count(), 1, 'one feedback awaits moderation');
    feedbackId = Number((await row.first().getAttribute('data-testid')).replace('fb-row-', ''));
    assert.ok(feedbackId > 0);
    assert.equal(await page.getByTestId(`fb-status-${feedbackId}`).getAttribute('data-status'), 'moderation');
    assert.match(await page.getByTestId(`fb-link-${feedbackId}`).textContent(), /Đường Lê Lợi/);
    await page.getByTestId(`fb-link-${feedbackId}`).click();
    const detail = page.getByTestId('fb-detail');
    await detail.waitFor();
    assert.equal(await detail.getAttribute('data-status'), 'moderation');
    assert.equal(await page.getByTestId('fb-tracking').textContent(), trackingCode);
    assert.equal(await page.getByTestId('fb-description').textContent(), DESCRIPTION);
    assert.equal(await page.getByTestId('fb-contact-email').textContent(), CITIZEN.email, 'staff see the contact');
    await page.getByTestId('fb-act-moderate-accept').click();
    await page.locator('[data-testid="fb-detail"][data-status="received"]').waitFor();
    await page.getByTestId('fb-detail-msg').filter({ hasText: 'Đã chấp nhận' }).waitFor();
    // The moderation tab is empty now.
    await page.getByTestId('fb-detail-back').click();
    await page.getByTestId('fb-tab-moderation').click();
    await page.getByTestId('fb-empty').waitFor();
    await page.getByTestId('fb-tab-all').click();
    await page.getByTestId(`fb-row-${feedbackId}`).waitFor();
    assert.equal(await page.getByTestId(`fb-status-${feedbackId}`).getAttribute('data-status'), 'received');
    assert.notEqual(await page.getByTestId(`fb-deadline-${feedbackId}`).getAttribute('data-state'), 'none', 'the forward deadline runs');
    await page.screenshot({ path: screenshotPath('feedback-inbox.png'), fullPage: true });
  });

  test('the handler accepts it for handling, drafts an answer and submits it', async () => {
    const page = pages.handler.page;
    await page.getByTestId(`fb-link-${feedbackId}`).click();
    await page.getByTestId('fb-answer-none').filter({ hasText: 'tiếp nhận' }).waitFor();
    await page.getByTestId('fb-act-accept').click();
    await page.locator('[data-testid="fb-detail"][data-status="assigned"]').waitFor();
    // Client-side check: an empty answer is refused.
    await page.getByTestId('fb-answer-save').click();
    await page.getByTestId('fb-detail-msg').filter({ hasText: 'Vui lòng nhập câu trả lời' }).waitFor();
    await page.getByTestId('fb-answer-text').fill(ANSWER);
    await page.getByTestId('fb-answer-save').click();
    await page.locator('[data-testid="fb-detail"][data-answer="draft"]').waitFor();
    assert.equal(await page.getByTestId('fb-answer-text').inputValue(), ANSWER, 'the draft is kept');
    await page.getByTestId('fb-answer-submit').click();
    await page.locator('[data-testid="fb-detail"][data-answer="submitted"]').waitFor();
    await page.getByTestId('fb-answer-waiting').waitFor();
    assert.equal(await page.getByTestId('fb-answer-approve').count(), 0, 'a handler without the approver role cannot approve');
    const kinds = await page.locator('[data-testid^="fb-event-"]').evaluateAll((els) => els.map((e) => [e.dataset.kind, e.dataset.public]));
    for (const k of ['received', 'moderated', 'assigned', 'answer_drafted', 'answer_submitted']) {
      assert.ok(kinds.some(([kind]) => kind === k), `history has ${k} (got ${JSON.stringify(kinds)})`);
    }
    assert.ok(kinds.some(([kind, pub]) => kind === 'assigned' && pub === 'true'), 'acceptance is public');
    assert.ok(kinds.some(([kind, pub]) => kind === 'answer_drafted' && pub === 'false'), 'drafts are internal');
    await page.screenshot({ path: screenshotPath('feedback-detail.png'), fullPage: true });
  });

  test('an approver returns the answer with a reason; the handler submits it again', async () => {
    const page = await signIn('approver');
    await page.goto(`/#/feedback/${feedbackId}`);
    await page.locator('[data-testid="fb-detail"][data-answer="submitted"]').waitFor();
    assert.equal(await page.getByTestId('fb-answer-draft').textContent(), ANSWER);
    await page.getByTestId('fb-answer-return').click();
    await page.getByTestId('fb-answer-return-confirm').click();
    await page.getByTestId('fb-detail-msg').filter({ hasText: 'Vui lòng ghi lý do' }).waitFor();
    await page.getByTestId('fb-answer-return-reason').fill('Ghi rõ thời gian hoàn thành.');
    await page.getByTestId('fb-answer-return-confirm').click();
    await page.locator('[data-testid="fb-detail"][data-answer="draft"]').waitFor();
    assert.equal(await page.getByTestId('fb-answer-approve').count(), 0);

    const handler = pages.handler.page;
    await handler.reload();
    await handler.locator('[data-testid="fb-detail"][data-answer="draft"]').waitFor();
    assert.match(await handler.getByTestId('fb-answer-returned').textContent(), /Ghi rõ thời gian hoàn thành/);
    assert.equal(await handler.getByTestId('fb-answer-text').inputValue(), ANSWER);
    await handler.getByTestId('fb-answer-submit').click();
    await handler.locator('[data-testid="fb-detail"][data-answer="submitted"]').waitFor();
  });

  test('the approver approves and publishes the answer', async () => {
    const page = pages.approver.page;
    await page.reload();
    await page.locator('[data-testid="fb-detail"][data-answer="submitted"]').waitFor();
    await page.getByTestId('fb-answer-approve').click();
    await page.locator('[data-testid="fb-detail"][data-answer="published"]').waitFor();
    assert.equal(await page.getByTestId('fb-detail').getAttribute('data-status'), 'answered');
    assert.equal(await page.getByTestId('fb-answer-public').textContent(), ANSWER);
    assert.equal(await page.getByTestId('fb-make-bulletin').count(), 0, 'an approver without the editor role makes no bulletin');
  });

  test('the citizen sees the answer on the tracking page', async () => {
    const { page } = citizen;
    await page.goto(`/portal/track?code=${encodeURIComponent(trackingCode)}`);
    const text = await page.locator('body').innerText();
    assert.ok(text.includes(ANSWER), `the published answer is on the tracking page:\n${text}`);
    assert.ok(!text.includes(CITIZEN.phone), 'no phone number on the page');
    await page.screenshot({ path: screenshotPath('feedback-portal-answer-phone.png'), fullPage: true });
  });

  test('exactly one e-mail reached the citizen, with the answer and the tracking code', async () => {
    await sink.waitFor(1, 30_000);
    const toCitizen = sink.messages.filter((m) => m.to.includes(CITIZEN.email));
    assert.equal(toCitizen.length, 1, `mails to the citizen: ${JSON.stringify(sink.messages.map((m) => ({ to: m.to, subject: m.subject })))}`);
    const [mail] = toCitizen;
    assert.equal(mail.from, 'nguon@example.vn');
    assert.ok(mail.body.includes(ANSWER), `the body has the answer:\n${mail.body}`);
    assert.ok(mail.body.includes(trackingCode), 'the body has the tracking code');
    assert.ok(mail.subject.includes(trackingCode) || /Trả lời/.test(mail.subject), `subject: ${mail.subject}`);
  });

  test('an editor turns the answer into a radio bulletin, approved with the answer', async () => {
    const page = await signIn('editor');
    await page.goto(`/#/feedback/${feedbackId}`);
    await page.getByTestId('fb-make-bulletin').click();
    const link = page.getByTestId('fb-bulletin-link');
    await link.waitFor();
    await page.getByTestId('fb-detail-msg').filter({ hasText: 'Đã tạo bản tin phát thanh' }).waitFor();
    bulletinId = Number((await link.getAttribute('href')).replace('#/bulletins/', ''));
    assert.ok(bulletinId > 0);
    const b = await apiGet(page, `/api/v1/bulletins/${bulletinId}`);
    assert.equal(b.status, 200);
    assert.equal(b.body.status, 'approved');
    assert.equal(b.body.owner_unit, COMMUNE);
    assert.ok(b.body.body.includes(ANSWER), 'the bulletin reads the published answer');
    assert.ok(!b.body.body.includes(CITIZEN.name), 'and not the citizen’s name');
    await page.locator('[data-testid^="fb-event-"][data-kind="bulletin_made"][data-public="true"]').waitFor();
    await link.click();
    await page.locator(`[data-testid="bulletin-detail"][data-id="${bulletinId}"]`).waitFor();
    assert.equal(await page.getByTestId('bulletin-detail').getAttribute('data-status'), 'approved');
  });

  test('the statistics show 1 received and 1 answered', async () => {
    const page = pages.handler.page;
    await page.getByTestId('nav-feedback').click();
    await page.getByTestId('fb-stats-link').click();
    await page.getByTestId('fbs-totals').waitFor();
    assert.equal(await page.getByTestId('fbs-received-value').textContent(), '1');
    assert.equal(await page.getByTestId('fbs-answered-value').textContent(), '1');
    assert.equal(await page.getByTestId('fbs-overdue-value').textContent(), '0');
    await page.getByTestId(`fbs-chart-category-row-${SERVICE}`).waitFor();
    await page.getByTestId(`fbs-chart-commune-row-${COMMUNE}`).waitFor();
    await page.getByTestId(`fbs-row-${COMMUNE}-${SERVICE}`).waitFor();
    await page.screenshot({ path: screenshotPath('feedback-stats.png'), fullPage: true });
  });

  test('the handler enters feedback on a citizen’s behalf; it skips moderation', async () => {
    const page = pages.handler.page;
    await page.getByTestId('nav-feedback').click();
    await page.getByTestId('fb-new').click();
    await page.getByTestId('fbn-form').waitFor();
    await page.getByTestId('fbn-submit').click();
    await page.getByTestId('fbn-msg').filter({ hasText: 'Vui lòng chọn lĩnh vực' }).waitFor();
    await page.getByTestId('fbn-service').selectOption('environment');
    // The category's required attribute (kind of problem) is asked for.
    await page.getByTestId('fbn-attr-kind').selectOption('noise');
    await page.getByTestId('fbn-description').fill('Xưởng cưa gỗ ở tổ dân phố hoạt động sau 22 giờ gây ồn ào.');
    await page.getByTestId('fbn-commune-input').fill('hac thanh');
    await page.getByTestId(`fbn-commune-option-${COMMUNE}`).click();
    await page.getByTestId('fbn-contact-name').fill('Trần Văn Bình');
    await page.getByTestId('fbn-contact-phone').fill('0987654321');
    await page.getByTestId('fbn-relayed-by').fill('Tuyên truyền viên tổ dân phố 5');
    await page.getByTestId('fbn-submit').click();
    const detail = page.locator('[data-testid="fb-detail"][data-status="received"]');
    await detail.waitFor();
    await page.getByTestId('flash').filter({ hasText: 'Đã nhập phản ánh' }).waitFor();
    assert.equal(await page.getByTestId('fb-channel').textContent(), 'Cán bộ nhập');
    assert.equal(await page.getByTestId('fb-relayed').textContent(), 'Tuyên truyền viên tổ dân phố 5');
    assert.equal(await page.getByTestId('fb-attr-kind').textContent(), 'Tiếng ồn');
    const id = Number(await page.getByTestId('fb-detail').getAttribute('data-id'));
    assert.ok(id > feedbackId);
    // An internal note is not public.
    await page.getByTestId('fb-act-note').click();
    await page.getByTestId('fb-note-text').fill('Đã gọi điện xác minh với tổ trưởng.');
    await page.getByTestId('fb-note-confirm').click();
    await page.locator('[data-kind="note"][data-public="false"]').waitFor();

    // Inbox: newest first; filters by status, category and text.
    await page.getByTestId('fb-detail-back').click();
    await expectRows(page, [id, feedbackId]);
    await page.getByTestId('fb-filter-status').selectOption('answered');
    await expectRows(page, [feedbackId]);
    await page.getByTestId('fb-filter-status').selectOption('received,assigned');
    await expectRows(page, [id]);
    await page.getByTestId('fb-filter-status').selectOption('');
    await expectRows(page, [id, feedbackId]);
    await page.getByTestId('fb-filter-service').selectOption('environment');
    await expectRows(page, [id]);
    await page.getByTestId('fb-filter-service').selectOption('');
    await page.getByTestId('fb-filter-q').fill('Lê Lợi');
    await page.getByTestId('fb-filter-apply').click();
    await expectRows(page, [feedbackId]);
    await page.getByTestId('fb-filter-overdue').check();
    await page.getByTestId('fb-empty').waitFor();
    await page.getByTestId('fb-filter-reset').click();
    await expectRows(page, [id, feedbackId]);
    assert.equal(await page.getByTestId('fb-filter-overdue').isChecked(), false);
  });

  test('English labels, still one mail, no page error, no CSP violation', async () => {
    const page = pages.handler.page;
    await page.getByTestId('lang-en').click();
    assert.equal(await page.getByTestId('nav-feedback').textContent(), 'Feedback');
    await page.getByTestId('fb-tab-moderation').waitFor();
    assert.equal(await page.getByTestId('fb-tab-moderation').textContent(), 'Awaiting moderation');
    await page.getByTestId('lang-vi').click();
    // The detail on a phone-sized screen: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(`/#/feedback/${feedbackId}`);
    await page.locator('[data-testid="fb-detail"][data-status="answered"]').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `no horizontal scrolling at 360 px (overflow ${overflow} px)`);
    await page.screenshot({ path: screenshotPath('feedback-detail-phone.png'), fullPage: true });
    assert.equal(sink.messages.filter((m) => m.to.includes(CITIZEN.email)).length, 1, 'no second mail to the citizen');
    const errors = [citizen, ...Object.values(pages)].flatMap((p) => p.errors);
    assert.deepEqual(errors, [], 'no uncaught page errors');
    assert.deepEqual(cspViolations, [], 'no CSP violation');
  });
});
