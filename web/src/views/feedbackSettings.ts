// Feedback settings (#/feedback/settings), for admins: the feedback categories (Open311
// services: names, group, deadlines, active), the specialised agencies that handle some categories
// instead of a People's Committee, and the routing rules that send a category, in an area, to a
// body. The server decides who may change what (categories: admins of a province or the nation;
// agencies and rules: admins over the unit or the area); refusals are shown as they come.

import { feedbackApi } from '../api';
import { isAdmin, state, type View } from '../app';
import { spinner, unitInfo, unitLabel } from '../components/bulletinBits';
import { fbErrorText, resetFeedbackCaches, serviceName, serviceOptions } from '../components/feedbackBits';
import { unitPicker } from '../components/unitPicker';
import { busy, field, h, messageBox, replace, uid } from '../dom';
import { t } from '../i18n';
import type { Agency, AgencyInput, FeedbackService, FeedbackServiceInput, RoutingRule, User } from '../types';

type Msg = ReturnType<typeof messageBox>;

interface Data {
  services: FeedbackService[];
  agencies: Agency[];
  rules: RoutingRule[];
}

interface Card {
  el: HTMLElement;
  /** Re-renders from the shared data (e.g. after another card changed it). */
  render(): void;
  msg: Msg;
}

const CODE_RE = /^[a-z0-9_-]{1,40}$/;
const EMAIL_RE = /^[^\s@<>]+@[^\s@<>]+$/;

/** Categories are shared by the whole deployment: only admins of a province or the nation edit them. */
export function canEditCategories(user: User | null = state.user): boolean {
  return !!user?.roles.some((r) => r.role === 'admin' && (r.unit_code === 'VN' || /^\d{2}$/.test(r.unit_code)));
}

/** Everything a form contains that `busy` should disable while saving. */
function controlsOf(form: HTMLElement): (HTMLInputElement | HTMLButtonElement | HTMLSelectElement)[] {
  return [...form.querySelectorAll<HTMLInputElement | HTMLButtonElement | HTMLSelectElement>('input, button, select, textarea')];
}

function checkbox(testid: string, label: string, checked: boolean): { el: HTMLElement; input: HTMLInputElement } {
  const id = uid('chk');
  const input = h('input', { type: 'checkbox', id, testid, checked });
  return { input, el: h('div', { class: 'check-row field' }, input, h('label', { for: id, text: label })) };
}

/** Marks the control invalid, focuses it and shows the message. */
function invalid(msg: Msg, control: HTMLElement, text: string): void {
  control.setAttribute('aria-invalid', 'true');
  control.focus();
  msg.error(text);
}

function activeBadge(active: boolean, testid: string, onText: string, offText: string): HTMLElement {
  return h('span', { class: `badge ${active ? 'badge-ok' : 'badge-off'}`, testid, 'data-active': String(active), text: active ? onText : offText });
}

/** "UBND Phường Hạc Thành": the People's Committee of a unit, its name filled in when known. */
function committeeLabel(code: string, testid?: string): HTMLElement {
  const el = h('span', { class: 'unit-label', testid, 'data-code': code, text: t('fbset.rule.committeeOf', { name: code }) });
  void unitInfo(code).then((u) => {
    if (u) {
      el.textContent = t('fbset.rule.committeeOf', { name: u.name });
      el.title = `${u.name} (${u.code})`;
    }
  });
  return el;
}

function unitWithCode(code: string, testid?: string): HTMLElement {
  return h('span', { testid }, unitLabel(code), ' ', h('span', { class: 'mono muted fbset-code', text: code }));
}

export function feedbackSettingsView(): View {
  const el = h('section', { class: 'page fbset-page', testid: 'fbset' });
  const head = h(
    'div',
    { class: 'page-head' },
    h('h1', { text: t('fbset.title') }),
    h('div', { class: 'actions' }, h('a', { class: 'btn btn-ghost', href: '#/feedback', testid: 'fbset-back', text: t('fbset.back') })),
  );
  if (!isAdmin(state.user)) {
    replace(el, head, h('p', { class: 'msg msg-error', role: 'alert', testid: 'fbset-forbidden', text: t('fbset.forbidden') }));
    return { el };
  }

  const data: Data = { services: [], agencies: [], rules: [] };
  const rules = rulesCard(data);
  const categories = categoriesCard(data, () => rules.render());
  const agencies = agenciesCard(data, () => rules.render());

  const load = async () => {
    replace(el, head, spinner(t('app.loading')));
    const [s, a, r] = await Promise.allSettled([feedbackApi.allServices(), feedbackApi.agencies(), feedbackApi.routingRules()]);
    if (s.status === 'fulfilled') data.services = s.value.items;
    if (a.status === 'fulfilled') data.agencies = a.value.items;
    if (r.status === 'fulfilled') data.rules = r.value.items;
    replace(el, head, h('p', { class: 'hint fbset-intro', text: t('fbset.intro') }), categories.el, agencies.el, rules.el);
    categories.render();
    agencies.render();
    rules.render();
    if (s.status === 'rejected') categories.msg.error(fbErrorText(s.reason));
    if (a.status === 'rejected') agencies.msg.error(fbErrorText(a.reason));
    if (r.status === 'rejected') rules.msg.error(fbErrorText(r.reason));
  };
  void load();
  return { el };
}

// ---- categories ---------------------------------------------------------------------------------

function categoriesCard(d: Data, changed: () => void): Card {
  const editable = canEditCategories();
  const msg = messageBox('fbset-svc-msg');
  const box = h('div', { class: 'table-wrap', testid: 'fbset-svc-table-wrap' });
  const newBox = h('div', { class: 'fbset-panel', testid: 'fbset-svc-new-panel' });
  let editing: string | null = null;

  const reload = async () => {
    d.services = (await feedbackApi.allServices()).items;
    resetFeedbackCaches();
    render();
    changed();
  };

  const cols = [
    t('fbset.svc.col.code'),
    t('fbset.svc.col.name'),
    t('fbset.svc.col.group'),
    t('fbset.svc.col.forward'),
    t('fbset.svc.col.answer'),
    t('fbset.svc.col.attrs'),
    t('fbset.svc.col.active'),
  ];

  const row = (s: FeedbackService) => {
    const edit = editable
      ? h('button', {
          type: 'button',
          class: 'btn btn-small',
          testid: `fbset-svc-edit-${s.code}`,
          'aria-expanded': String(editing === s.code),
          'aria-label': t('fbset.svc.editLabel', { name: serviceName(s) }),
          text: t('fbset.edit'),
          on: {
            click: () => {
              msg.clear();
              editing = editing === s.code ? null : s.code;
              render();
              box.querySelector<HTMLInputElement>('[data-testid="fbset-svc-form-name-vi"]')?.focus();
            },
          },
        })
      : null;
    return h(
      'tr',
      { testid: `fbset-svc-row-${s.code}`, 'data-active': String(s.active), class: s.active ? undefined : 'is-inactive' },
      h('td', { 'data-label': cols[0], class: 'mono', testid: `fbset-svc-code-${s.code}`, text: s.code }),
      h(
        'td',
        { 'data-label': cols[1] },
        h('span', { class: 'fbset-name', testid: `fbset-svc-name-${s.code}`, text: s.name_vi }),
        s.name_en ? h('span', { class: 'fbset-sub muted', lang: 'en', text: s.name_en }) : null,
      ),
      h('td', { 'data-label': cols[2], text: s.group || '—' }),
      h('td', { 'data-label': cols[3], class: 'num', testid: `fbset-svc-forward-${s.code}`, text: String(s.forward_days) }),
      h('td', { 'data-label': cols[4], class: 'num', testid: `fbset-svc-answer-${s.code}`, text: String(s.answer_days) }),
      h('td', { 'data-label': cols[5], class: 'num', testid: `fbset-svc-attrs-${s.code}`, 'data-count': String(s.attributes.length), text: t('fbset.svc.attrsCount', { n: s.attributes.length }) }),
      h('td', { 'data-label': cols[6] }, activeBadge(s.active, `fbset-svc-active-${s.code}`, t('fbset.svc.active'), t('fbset.svc.inactive'))),
      editable ? h('td', { 'data-label': t('fbset.actions'), class: 'fbset-row-actions' }, edit) : null,
    );
  };

  const render = () => {
    if (!d.services.length) {
      replace(box, h('p', { class: 'empty', testid: 'fbset-svc-empty', text: t('fbset.svc.empty') }));
      return;
    }
    const rows: HTMLElement[] = [];
    for (const s of d.services) {
      rows.push(row(s));
      if (editing === s.code) {
        const form = serviceForm(d, s, msg, {
          onSaved: async (saved) => {
            editing = null;
            await reload();
            msg.success(t('fbset.svc.saved', { name: serviceName(saved) }));
          },
          onCancel: () => {
            editing = null;
            render();
            box.querySelector<HTMLButtonElement>(`[data-testid="fbset-svc-edit-${s.code}"]`)?.focus();
          },
        });
        rows.push(h('tr', { class: 'fbset-edit-row', testid: `fbset-svc-edit-row-${s.code}` }, h('td', { colspan: String(cols.length + 1) }, form)));
      }
    }
    replace(
      box,
      h(
        'table',
        { class: 'data-table fbset-table', testid: 'fbset-svc-table' },
        h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col', text: c })), editable ? h('th', { scope: 'col', text: t('fbset.actions') }) : null)),
        h('tbody', null, rows),
      ),
    );
  };

  let newBtn: HTMLButtonElement | null = null;
  if (editable) {
    const btn = h('button', { type: 'button', class: 'btn btn-primary', testid: 'fbset-svc-new', 'aria-expanded': 'false', text: t('fbset.svc.new') });
    const close = () => {
      replace(newBox);
      btn.setAttribute('aria-expanded', 'false');
    };
    btn.addEventListener('click', () => {
      msg.clear();
      if (btn.getAttribute('aria-expanded') === 'true') return close();
      btn.setAttribute('aria-expanded', 'true');
      replace(
        newBox,
        serviceForm(d, null, msg, {
          onSaved: async (saved) => {
            close();
            await reload();
            msg.success(t('fbset.svc.created', { name: serviceName(saved) }));
          },
          onCancel: () => {
            close();
            btn.focus();
          },
        }),
      );
      newBox.querySelector<HTMLInputElement>('input')?.focus();
    });
    newBtn = btn;
  }

  const el = h(
    'section',
    { class: 'card fbset-card', testid: 'fbset-services', 'aria-labelledby': 'fbset-svc-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'fbset-svc-title', text: t('fbset.svc.title') }), newBtn),
    h('p', { class: 'hint', text: t('fbset.svc.intro') }),
    editable ? null : h('p', { class: 'msg msg-info', testid: 'fbset-svc-readonly', text: t('fbset.svc.readOnly') }),
    msg.el,
    newBox,
    box,
  );
  return { el, render, msg };
}

/** The form of one category: `s` to edit it, null for a new one (with its code). */
function serviceForm(
  d: Data,
  s: FeedbackService | null,
  cardMsg: Msg,
  opts: { onSaved(saved: FeedbackService): Promise<void>; onCancel(): void },
): HTMLFormElement {
  const p = s ? 'fbset-svc-form' : 'fbset-svc-new-form';
  const code = s ? null : h('input', { type: 'text', testid: `${p}-code`, maxlength: '40', pattern: '[a-z0-9_-]{1,40}', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', required: true });
  const nameVi = h('input', { type: 'text', testid: `${p}-name-vi`, maxlength: '120', required: true, value: s?.name_vi ?? '' });
  const nameEn = h('input', { type: 'text', testid: `${p}-name-en`, maxlength: '120', lang: 'en', value: s?.name_en ?? '' });
  const group = h('input', { type: 'text', testid: `${p}-group`, maxlength: '80', value: s?.group ?? '', list: uid('groups') });
  const groups = h('datalist', { id: group.getAttribute('list') ?? '' }, [...new Set(d.services.map((x) => x.group).filter(Boolean))].map((g) => h('option', { value: g })));
  const fwd = h('input', { type: 'number', testid: `${p}-forward-days`, min: '0', max: '60', step: '1', inputmode: 'numeric', required: true, value: String(s?.forward_days ?? 2) });
  const ans = h('input', { type: 'number', testid: `${p}-answer-days`, min: '1', max: '120', step: '1', inputmode: 'numeric', required: true, value: String(s?.answer_days ?? 20) });
  const descId = uid('desc');
  const desc = h('textarea', { id: descId, testid: `${p}-description`, rows: '2', maxlength: '1000' });
  desc.value = s?.description ?? '';
  const active = checkbox(`${p}-active`, t('fbset.svc.activeLabel'), s?.active ?? true);
  const msg = messageBox(`${p}-msg`);
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: `${p}-submit`, text: s ? t('fbset.save') : t('fbset.svc.create') });
  const cancel = h('button', { type: 'button', class: 'btn btn-ghost', testid: `${p}-cancel`, text: t('fbset.cancel'), on: { click: () => opts.onCancel() } });
  const n = s?.attributes.length ?? 0;
  const form = h(
    'form',
    { class: 'fbset-form', novalidate: true, testid: p, 'aria-label': s ? t('fbset.svc.editTitle', { code: s.code }) : t('fbset.svc.newTitle') },
    h('h3', { text: s ? t('fbset.svc.editTitle', { code: s.code }) : t('fbset.svc.newTitle') }),
    h(
      'div',
      { class: 'form-grid' },
      code ? field(t('fbset.svc.code'), code, t('fbset.svc.codeHint')) : null,
      field(t('fbset.svc.nameVi'), nameVi),
      field(t('fbset.svc.nameEn'), nameEn),
      field(t('fbset.svc.group'), group, t('fbset.svc.groupHint')),
      field(t('fbset.svc.forwardDays'), fwd),
      field(t('fbset.svc.answerDays'), ans),
    ),
    groups,
    h('div', { class: 'field' }, h('label', { for: descId, text: t('fbset.svc.description') }), desc),
    active.el,
    h('p', { class: 'hint', testid: `${p}-attrs-hint`, text: s ? t('fbset.svc.attrsHint', { n }) : t('fbset.svc.attrsHintNew') }),
    msg.el,
    h('div', { class: 'actions' }, submit, cancel),
  );
  form.addEventListener('input', (ev) => (ev.target as HTMLElement).removeAttribute('aria-invalid'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    msg.clear();
    cardMsg.clear();
    const c = code ? code.value.trim() : (s?.code ?? '');
    if (code) {
      if (!CODE_RE.test(c)) return invalid(msg, code, t('fbset.svc.codeInvalid'));
      // PUT would replace the existing category: a new one must have a new code.
      if (d.services.some((x) => x.code === c)) return invalid(msg, code, t('fbset.svc.codeExists', { code: c }));
    }
    const name = nameVi.value.trim();
    if (!name) return invalid(msg, nameVi, t('fbset.svc.nameRequired'));
    const fd = Number(fwd.value);
    if (fwd.value.trim() === '' || !Number.isInteger(fd) || fd < 0 || fd > 60) return invalid(msg, fwd, t('fbset.svc.daysInvalid'));
    const ad = Number(ans.value);
    if (ans.value.trim() === '' || !Number.isInteger(ad) || ad < 1 || ad > 120) return invalid(msg, ans, t('fbset.svc.daysInvalid'));
    // The whole category is replaced: keywords and attributes (not edited here) go back as they were.
    const body: FeedbackServiceInput = {
      name_vi: name,
      name_en: nameEn.value.trim(),
      description: desc.value.trim(),
      group: group.value.trim(),
      keywords: s?.keywords ?? '',
      attributes: s?.attributes ?? [],
      forward_days: fd,
      answer_days: ad,
      active: active.input.checked,
    };
    void busy(
      controlsOf(form),
      async () => {
        try {
          const saved = await feedbackApi.putService(c, body);
          await opts.onSaved(saved);
        } catch (err) {
          msg.error(fbErrorText(err));
        }
      },
      { el: submit, busyText: t('common.busy') },
    );
  });
  return form;
}

// ---- agencies -----------------------------------------------------------------------------------

function agenciesCard(d: Data, changed: () => void): Card {
  const msg = messageBox('fbset-agency-msg');
  const box = h('div', { class: 'table-wrap', testid: 'fbset-agency-table-wrap' });
  const panel = h('div', { class: 'fbset-panel', testid: 'fbset-agency-panel' });
  const newBtn = h('button', { type: 'button', class: 'btn btn-primary', testid: 'fbset-agency-new', text: t('fbset.agency.new') });

  const reload = async () => {
    d.agencies = (await feedbackApi.agencies()).items;
    resetFeedbackCaches();
    render();
    changed();
  };

  const cols = [t('fbset.agency.col.name'), t('fbset.agency.col.unit'), t('fbset.agency.col.email'), t('fbset.agency.col.supervisor'), t('fbset.agency.col.active')];

  const agencyName = (id: number) => d.agencies.find((a) => a.id === id)?.name ?? `#${id}`;

  const render = () => {
    if (!d.agencies.length) {
      replace(box, h('p', { class: 'empty', testid: 'fbset-agency-empty', text: t('fbset.agency.empty') }));
      return;
    }
    replace(
      box,
      h(
        'table',
        { class: 'data-table fbset-table', testid: 'fbset-agency-table' },
        h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col', text: c })), h('th', { scope: 'col', text: t('fbset.actions') }))),
        h(
          'tbody',
          null,
          d.agencies.map((a) =>
            h(
              'tr',
              { testid: `fbset-agency-row-${a.id}`, 'data-unit': a.unit_code, 'data-active': String(a.active), class: a.active ? undefined : 'is-inactive' },
              h('td', { 'data-label': cols[0] }, h('span', { class: 'fbset-name', testid: `fbset-agency-name-${a.id}`, text: a.name })),
              h('td', { 'data-label': cols[1] }, unitWithCode(a.unit_code, `fbset-agency-unit-${a.id}`)),
              h('td', { 'data-label': cols[2], testid: `fbset-agency-email-${a.id}`, text: a.email || '—' }),
              h('td', { 'data-label': cols[3], testid: `fbset-agency-supervisor-${a.id}`, text: a.supervisor_agency ? agencyName(a.supervisor_agency) : '—' }),
              h('td', { 'data-label': cols[4] }, activeBadge(a.active, `fbset-agency-active-${a.id}`, t('fbset.agency.active'), t('fbset.agency.inactive'))),
              h(
                'td',
                { 'data-label': t('fbset.actions'), class: 'fbset-row-actions' },
                h('button', {
                  type: 'button',
                  class: 'btn btn-small',
                  testid: `fbset-agency-edit-${a.id}`,
                  'aria-label': t('fbset.agency.editLabel', { name: a.name }),
                  text: t('fbset.edit'),
                  on: { click: () => open(a) },
                }),
              ),
            ),
          ),
        ),
      ),
    );
  };

  const close = () => replace(panel);

  /** Opens the form: `a` to edit it, null for a new agency. */
  const open = (a: Agency | null) => {
    msg.clear();
    const p = 'fbset-agency';
    const unit = unitPicker({ label: t('fbset.agency.unit'), testid: `${p}-unit`, hint: t('fbset.agency.unitHint'), initial: a ? { code: a.unit_code, name: a.unit_code } : null });
    if (a) {
      void unitInfo(a.unit_code).then((u) => {
        if (u && unit.value()?.code === u.code) unit.set({ code: u.code, name: u.name });
      });
    }
    const name = h('input', { type: 'text', testid: `${p}-name`, maxlength: '160', required: true, value: a?.name ?? '' });
    const email = h('input', { type: 'email', testid: `${p}-email`, maxlength: '254', autocomplete: 'off', value: a?.email ?? '' });
    const sup = h(
      'select',
      { testid: `${p}-supervisor` },
      h('option', { value: '0', text: t('fbset.agency.noSupervisor') }),
      d.agencies
        .filter((x) => x.id !== a?.id)
        .map((x) => h('option', { value: String(x.id), text: x.active ? x.name : t('fbset.agency.inactiveName', { name: x.name }) })),
    );
    sup.value = String(a?.supervisor_agency ?? 0);
    const active = checkbox(`${p}-active`, t('fbset.agency.activeLabel'), a?.active ?? true);
    const formMsg = messageBox(`${p}-form-msg`);
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: `${p}-submit`, text: a ? t('fbset.save') : t('fbset.agency.create') });
    const cancel = h('button', {
      type: 'button',
      class: 'btn btn-ghost',
      testid: `${p}-cancel`,
      text: t('fbset.cancel'),
      on: {
        click: () => {
          close();
          newBtn.focus();
        },
      },
    });
    const title = a ? t('fbset.agency.editTitle', { name: a.name }) : t('fbset.agency.newTitle');
    const form = h(
      'form',
      { class: 'fbset-form', novalidate: true, testid: `${p}-form`, 'data-id': a ? String(a.id) : undefined, 'aria-label': title },
      h('h3', { text: title }),
      h(
        'div',
        { class: 'form-grid' },
        unit.el,
        field(t('fbset.agency.name'), name),
        field(t('fbset.agency.email'), email, t('fbset.agency.emailHint')),
        field(t('fbset.agency.supervisor'), sup, t('fbset.agency.supervisorHint')),
      ),
      active.el,
      formMsg.el,
      h('div', { class: 'actions' }, submit, cancel),
    );
    form.addEventListener('input', (ev) => (ev.target as HTMLElement).removeAttribute('aria-invalid'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      formMsg.clear();
      const u = unit.value();
      if (!u) return invalid(formMsg, unit.input, t('fbset.agency.unitRequired'));
      const n = name.value.trim();
      if (n.length < 2) return invalid(formMsg, name, t('fbset.agency.nameRequired'));
      const mail = email.value.trim();
      if (mail && !EMAIL_RE.test(mail)) return invalid(formMsg, email, t('fbset.agency.emailInvalid'));
      const body: AgencyInput = { unit_code: u.code, name: n, email: mail, supervisor_agency: Number(sup.value) || 0, active: active.input.checked };
      void busy(
        controlsOf(form),
        async () => {
          try {
            const saved = a ? await feedbackApi.updateAgency(a.id, body) : await feedbackApi.createAgency(body);
            close();
            await reload();
            msg.success(t(a ? 'fbset.agency.saved' : 'fbset.agency.created', { name: saved.name }));
          } catch (err) {
            formMsg.error(fbErrorText(err));
          }
        },
        { el: submit, busyText: t('common.busy') },
      );
    });
    replace(panel, form);
    panel.scrollIntoView({ block: 'nearest' });
    (a ? name : unit.input).focus();
  };
  newBtn.addEventListener('click', () => open(null));

  const el = h(
    'section',
    { class: 'card fbset-card', testid: 'fbset-agencies', 'aria-labelledby': 'fbset-agency-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'fbset-agency-title', text: t('fbset.agency.title') }), newBtn),
    h('p', { class: 'hint', text: t('fbset.agency.intro') }),
    msg.el,
    box,
    panel,
  );
  return { el, render, msg };
}

// ---- routing rules ------------------------------------------------------------------------------

function rulesCard(d: Data): Card {
  const msg = messageBox('fbset-rule-msg');
  const box = h('div', { class: 'table-wrap', testid: 'fbset-rule-table-wrap' });
  const cols = [t('fbset.rule.col.service'), t('fbset.rule.col.area'), t('fbset.rule.col.body')];

  const serviceText = (code: string) => {
    if (code === '*') return t('fbset.rule.anyService');
    const s = d.services.find((x) => x.code === code);
    return s ? serviceName(s) : code;
  };

  const reload = async () => {
    d.rules = (await feedbackApi.routingRules()).items;
    render();
  };

  const remove = (r: RoutingRule, btn: HTMLButtonElement, areaEl: HTMLElement) => {
    msg.clear();
    const area = areaEl.querySelector('.unit-label')?.textContent || r.area_code;
    if (!window.confirm(t('fbset.rule.confirmDelete', { service: serviceText(r.service_code), area }))) return;
    void busy([btn], async () => {
      try {
        await feedbackApi.deleteRoutingRule(r.id);
        await reload();
        msg.success(t('fbset.rule.deleted'));
      } catch (err) {
        msg.error(fbErrorText(err));
      }
    });
  };

  const bodyCell = (r: RoutingRule) => {
    if (!r.agency_id) return committeeLabel(r.body_unit);
    const a = d.agencies.find((x) => x.id === r.agency_id);
    return h(
      'span',
      null,
      h('span', { class: 'fbset-name', text: a ? a.name : `#${r.agency_id}` }),
      a && !a.active ? [' ', h('span', { class: 'badge badge-off', text: t('fbset.agency.inactive') })] : null,
      h('span', { class: 'fbset-sub muted' }, unitLabel(r.body_unit)),
    );
  };

  // ---- the form ----
  const service = h('select', { testid: 'fbset-rule-service' });
  const fillServices = () => {
    const keep = service.value || '*';
    replace(service, h('option', { value: '*', text: t('fbset.rule.anyService') }), serviceOptions(d.services));
    service.value = [...service.options].some((o) => o.value === keep) ? keep : '*';
  };
  const area = unitPicker({ label: t('fbset.rule.area'), testid: 'fbset-rule-area', hint: t('fbset.rule.areaHint') });
  const body = unitPicker({ label: t('fbset.rule.body'), testid: 'fbset-rule-body', hint: t('fbset.rule.bodyHint') });
  const agency = h('select', { testid: 'fbset-rule-agency' });
  const fillAgencies = () => {
    const keep = agency.value;
    const code = body.value()?.code;
    const mine = code ? d.agencies.filter((a) => a.active && a.unit_code === code) : [];
    replace(agency, h('option', { value: '', text: t('fbset.rule.agencyCommittee') }), mine.map((a) => h('option', { value: String(a.id), text: a.name })));
    agency.value = mine.some((a) => String(a.id) === keep) ? keep : '';
    agency.dataset.count = String(mine.length);
  };
  body.onChange(() => fillAgencies());
  const formMsg = messageBox('fbset-rule-form-msg');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'fbset-rule-submit', text: t('fbset.rule.submit') });
  const form = h(
    'form',
    { class: 'fbset-form fbset-rule-form', novalidate: true, testid: 'fbset-rule-form', 'aria-labelledby': 'fbset-rule-new-title' },
    h('h3', { id: 'fbset-rule-new-title', text: t('fbset.rule.newTitle') }),
    h(
      'div',
      { class: 'form-grid' },
      field(t('fbset.rule.service'), service),
      area.el,
      body.el,
      field(t('fbset.rule.agency'), agency, t('fbset.rule.agencyHint')),
    ),
    formMsg.el,
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    formMsg.clear();
    msg.clear();
    const a = area.value();
    if (!a) return invalid(formMsg, area.input, t('fbset.rule.areaRequired'));
    const b = body.value();
    if (!b) return invalid(formMsg, body.input, t('fbset.rule.bodyRequired'));
    void busy(
      controlsOf(form),
      async () => {
        try {
          await feedbackApi.addRoutingRule({ service_code: service.value || '*', area_code: a.code, body_unit: b.code, agency_id: Number(agency.value) || 0 });
          area.set(null);
          body.set(null);
          fillAgencies();
          await reload();
          msg.success(t('fbset.rule.added'));
        } catch (err) {
          formMsg.error(fbErrorText(err));
        }
      },
      { el: submit, busyText: t('common.busy') },
    );
  });
  form.addEventListener('input', (ev) => (ev.target as HTMLElement).removeAttribute('aria-invalid'));

  const render = () => {
    fillServices();
    fillAgencies();
    box.dataset.count = String(d.rules.length);
    if (!d.rules.length) {
      replace(box, h('p', { class: 'empty', testid: 'fbset-rule-empty', text: t('fbset.rule.empty') }));
      return;
    }
    replace(
      box,
      h(
        'table',
        { class: 'data-table fbset-table', testid: 'fbset-rule-table' },
        h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col', text: c })), h('th', { scope: 'col', text: t('fbset.actions') }))),
        h(
          'tbody',
          null,
          d.rules.map((r) => {
            const areaEl = unitWithCode(r.area_code, `fbset-rule-area-${r.id}`);
            const del = h('button', { type: 'button', class: 'btn btn-small btn-danger', testid: `fbset-rule-delete-${r.id}`, text: t('fbset.delete') });
            del.setAttribute('aria-label', t('fbset.rule.deleteLabel', { service: serviceText(r.service_code), area: r.area_code }));
            del.addEventListener('click', () => remove(r, del, areaEl));
            return h(
              'tr',
              { testid: `fbset-rule-row-${r.id}`, 'data-service': r.service_code, 'data-area': r.area_code, 'data-body': r.body_unit, 'data-agency': String(r.agency_id) },
              h('td', { 'data-label': cols[0], testid: `fbset-rule-service-${r.id}`, class: r.service_code === '*' ? 'fbset-any' : undefined, text: serviceText(r.service_code) }),
              h('td', { 'data-label': cols[1] }, areaEl),
              h('td', { 'data-label': cols[2], testid: `fbset-rule-body-${r.id}` }, bodyCell(r)),
              h('td', { 'data-label': t('fbset.actions'), class: 'fbset-row-actions' }, del),
            );
          }),
        ),
      ),
    );
  };

  const el = h(
    'section',
    { class: 'card fbset-card', testid: 'fbset-rules', 'aria-labelledby': 'fbset-rule-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'fbset-rule-title', text: t('fbset.rule.title') })),
    h('p', { class: 'hint', testid: 'fbset-rule-hint', text: t('fbset.rule.hint') }),
    msg.el,
    box,
    form,
  );
  return { el, render, msg };
}
