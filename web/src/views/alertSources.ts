// Trusted CAP senders (#/alerts/sources), for admins: the disaster authorities whose alerts Nguồn
// accepts, each bound to a unit (its alerts reach only the devices under it), pushing with a
// bearer token and/or polled through an Atom feed, broadcasting on their own when an alert reaches
// the thresholds (auto_broadcast) or else waiting for an operator. The push token is shown only
// on creation and when a new one is made.

import { alertApi } from '../api';
import { isAdmin, state, type View } from '../app';
import { capLabel, cell, unixTimeEl } from '../components/alertBits';
import { spinner, unitInfo, unitLabel } from '../components/bulletinBits';
import { secretBox } from '../components/secret';
import { unitPicker } from '../components/unitPicker';
import { busy, field, h, messageBox, replace, uid } from '../dom';
import { errorText } from '../errors';
import { t } from '../i18n';
import {
  CAP_CERTAINTIES,
  CAP_SEVERITIES,
  CAP_URGENCIES,
  type AlertSource,
  type AlertSourceInput,
  type CapCertainty,
  type CapSeverity,
  type CapUrgency,
} from '../types';

type Msg = ReturnType<typeof messageBox>;

/** A CAP sender: not empty, no spaces, commas, "<" or "&" (CAP 1.2 §3.2.1). */
const SENDER_RE = /^[^\s,<&]+$/;
const URL_RE = /^https?:\/\/\S+$/i;

export function alertSourcesView(): View {
  const el = h('section', { class: 'page alertsrc-page', testid: 'alert-sources' });
  const head = h(
    'div',
    { class: 'page-head' },
    h('h1', { text: t('alertsrc.title') }),
    h('div', { class: 'row-actions' }, h('a', { class: 'btn btn-ghost', href: '#/alerts', testid: 'alertsrc-back', text: t('alertsrc.back') })),
  );
  if (!isAdmin(state.user)) {
    replace(el, head, h('p', { class: 'msg msg-error', role: 'alert', testid: 'alertsrc-forbidden', text: t('alertsrc.forbidden') }));
    return { el };
  }

  const msg = messageBox('alertsrc-msg');
  const panel = h('div', { class: 'fbset-panel', testid: 'alertsrc-panel' });
  const tableBox = h('div', { class: 'table-wrap', testid: 'alertsrc-table-wrap' });
  const newBtn = h('button', { type: 'button', class: 'btn btn-primary', testid: 'alertsrc-new', text: t('alertsrc.new') });
  let sources: AlertSource[] = [];

  const close = () => replace(panel);

  /** Shows a token once, with the warning that it cannot be read again. */
  const showToken = (s: AlertSource, token: string) => {
    const box = secretBox(t('alertsrc.tokenTitle', { name: s.name }), token, 'alert-source-token', () => newBtn.focus());
    const hint = box.querySelector('.hint');
    if (hint) {
      hint.textContent = t('alertsrc.tokenOnce');
      hint.classList.add('warn');
    }
    replace(panel, box);
    panel.querySelector<HTMLInputElement>('input')?.focus();
    panel.scrollIntoView({ block: 'nearest' });
  };

  const reload = async () => {
    sources = (await alertApi.sources()).items;
    render();
  };

  const regenerate = (s: AlertSource, btn: HTMLButtonElement) => {
    msg.clear();
    if (!window.confirm(t('alertsrc.confirmToken', { name: s.name }))) return;
    void busy(
      [btn],
      async () => {
        try {
          const { token } = await alertApi.newToken(s.id);
          msg.success(t('alertsrc.tokenDone', { name: s.name }));
          showToken(s, token);
        } catch (err) {
          msg.error(errorText(err));
        }
      },
      { el: btn, busyText: t('common.busy') },
    );
  };

  const cols = [t('alertsrc.col.source'), t('alertsrc.col.unit'), t('alertsrc.col.mode'), t('alertsrc.col.feed'), t('alertsrc.col.enabled'), t('alertsrc.col.actions')];
  const render = () => {
    if (!sources.length) {
      replace(tableBox, h('p', { class: 'empty', testid: 'alertsrc-empty', text: t('alertsrc.empty') }));
      return;
    }
    replace(
      tableBox,
      h(
        'table',
        { class: 'data-table alertsrc-table', testid: 'alertsrc-table' },
        h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col', text: c })))),
        h(
          'tbody',
          null,
          sources.map((s) => {
            const tokenBtn = h('button', { type: 'button', class: 'btn btn-small', testid: `alertsrc-token-${s.id}`, text: t('alertsrc.newToken') });
            tokenBtn.addEventListener('click', () => regenerate(s, tokenBtn));
            const editBtn = h('button', {
              type: 'button',
              class: 'btn btn-small',
              testid: `alertsrc-edit-${s.id}`,
              'aria-label': t('alertsrc.editLabel', { name: s.name }),
              text: t('alertsrc.edit'),
              on: { click: () => open(s) },
            });
            return h(
              'tr',
              { testid: `alertsrc-row-${s.id}`, 'data-sender': s.sender, class: s.enabled ? undefined : 'is-inactive' },
              cell(cols[0], null, h('span', { class: 'fbset-name', text: s.name }), h('span', { class: 'row-summary mono', text: s.sender })),
              cell(cols[1], null, unitLabel(s.unit_code), ' ', h('span', { class: 'mono muted', text: `(${s.unit_code})` })),
              cell(cols[2], { testid: `alertsrc-mode-${s.id}` }, modeText(s)),
              cell(cols[3], null, feedText(s)),
              cell(
                cols[4],
                null,
                h('span', {
                  class: `badge ${s.enabled ? 'badge-ok' : 'badge-off'}`,
                  testid: `alertsrc-enabled-${s.id}`,
                  'data-enabled': String(s.enabled),
                  text: s.enabled ? t('alertsrc.enabled') : t('alertsrc.disabled'),
                }),
              ),
              h('td', { 'data-label': cols[5], class: 'fbset-row-actions' }, h('div', { class: 'row-actions' }, editBtn, tokenBtn)),
            );
          }),
        ),
      ),
    );
  };

  /** Opens the form: `s` to edit it, null for a new source. */
  const open = (s: AlertSource | null) => {
    msg.clear();
    const form = sourceForm(s, {
      onCancel: () => {
        close();
        newBtn.focus();
      },
      onSaved: async (saved, token) => {
        msg.success(s ? t('alertsrc.saved', { name: saved.name }) : t('alertsrc.created', { name: saved.name }));
        if (token) showToken(saved, token);
        else close();
        await reload().catch((err) => msg.error(errorText(err)));
      },
    });
    replace(panel, form);
    form.querySelector<HTMLElement>('input')?.focus();
    panel.scrollIntoView({ block: 'nearest' });
  };
  newBtn.addEventListener('click', () => open(null));

  const load = async () => {
    replace(tableBox, spinner(t('app.loading')));
    try {
      await reload();
    } catch (err) {
      replace(tableBox);
      msg.error(errorText(err));
    }
  };
  replace(
    el,
    head,
    h('p', { class: 'hint alerts-intro', text: t('alertsrc.intro') }),
    h('p', { class: 'hint alerts-intro' }, t('alertsrc.pushHint'), ' ', h('code', { text: 'POST /api/v1/cap' })),
    msg.el,
    h('div', { class: 'actions' }, newBtn),
    panel,
    tableBox,
  );
  void load();
  return { el };
}

function modeText(s: AlertSource): HTMLElement {
  if (!s.auto_broadcast) return h('span', { text: t('alertsrc.mode.manual') });
  return h(
    'span',
    null,
    h('strong', { text: t('alertsrc.mode.auto') }),
    h('span', {
      class: 'row-summary',
      text: t('alertsrc.thresholds', {
        severity: capLabel('severity', s.min_severity),
        urgency: capLabel('urgency', s.min_urgency),
        certainty: capLabel('certainty', s.min_certainty),
      }),
    }),
  );
}

function feedText(s: AlertSource): HTMLElement {
  if (!s.feed_url) return h('span', { class: 'muted', text: t('alertsrc.noFeed') });
  return h(
    'span',
    null,
    h('span', { class: 'mono alertsrc-url', text: s.feed_url }),
    h('span', { class: 'row-summary' }, t('alertsrc.lastPolled'), ' ', s.last_polled_at ? unixTimeEl(s.last_polled_at) : t('alertsrc.never')),
    s.last_poll_error ? h('span', { class: 'row-summary alertsrc-error', testid: `alertsrc-poll-error-${s.id}`, text: s.last_poll_error }) : null,
  );
}

function checkbox(testid: string, label: string, checked: boolean): { el: HTMLElement; input: HTMLInputElement } {
  const id = uid('chk');
  const input = h('input', { type: 'checkbox', id, testid, checked });
  return { input, el: h('div', { class: 'check-row field' }, input, h('label', { for: id, text: label })) };
}

function capSelect<T extends string>(testid: string, values: readonly T[], group: 'severity' | 'urgency' | 'certainty', value: T): HTMLSelectElement {
  const sel = h('select', { testid }, values.map((v) => h('option', { value: v, text: capLabel(group, v) })));
  sel.value = value;
  return sel;
}

function invalid(msg: Msg, control: HTMLElement, text: string): void {
  control.setAttribute('aria-invalid', 'true');
  control.focus();
  msg.error(text);
}

function sourceForm(
  s: AlertSource | null,
  opts: { onCancel: () => void; onSaved: (saved: AlertSource, token: string | null) => Promise<void> },
): HTMLFormElement {
  const p = 'alertsrc';
  const sender = s ? null : h('input', { type: 'text', testid: `${p}-sender`, maxlength: '255', autocomplete: 'off', spellcheck: 'false', required: true });
  const name = h('input', { type: 'text', testid: `${p}-name`, maxlength: '160', required: true, value: s?.name ?? '' });
  const unit = unitPicker({ label: t('alertsrc.unit'), testid: `${p}-unit`, hint: t('alertsrc.unitHint'), initial: s ? { code: s.unit_code, name: s.unit_code } : null });
  if (s) {
    void unitInfo(s.unit_code).then((u) => {
      if (u && unit.value()?.code === u.code) unit.set({ code: u.code, name: u.name });
    });
  }
  const feed = h('input', { type: 'url', testid: `${p}-feed`, maxlength: '2000', autocomplete: 'off', spellcheck: 'false', value: s?.feed_url ?? '', placeholder: 'https://' });
  const enabled = checkbox(`${p}-enabled`, t('alertsrc.enabledLabel'), s?.enabled ?? true);
  const auto = checkbox(`${p}-auto`, t('alertsrc.autoLabel'), s?.auto_broadcast ?? false);
  const sev = capSelect(`${p}-min-severity`, CAP_SEVERITIES, 'severity', s?.min_severity ?? 'Severe');
  const urg = capSelect(`${p}-min-urgency`, CAP_URGENCIES, 'urgency', s?.min_urgency ?? 'Expected');
  const cer = capSelect(`${p}-min-certainty`, CAP_CERTAINTIES, 'certainty', s?.min_certainty ?? 'Likely');
  const thresholds = h(
    'fieldset',
    { class: 'targets alertsrc-thresholds', testid: `${p}-thresholds` },
    h('legend', { text: t('alertsrc.thresholdsTitle') }),
    h('p', { class: 'hint', text: t('alertsrc.thresholdsHint') }),
    h('div', { class: 'form-grid compact' }, field(t('alertsrc.minSeverity'), sev), field(t('alertsrc.minUrgency'), urg), field(t('alertsrc.minCertainty'), cer)),
  );
  const syncThresholds = () => {
    thresholds.disabled = !auto.input.checked;
  };
  auto.input.addEventListener('change', syncThresholds);
  syncThresholds();

  const formMsg = messageBox(`${p}-form-msg`);
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: `${p}-submit`, text: s ? t('alertsrc.save') : t('alertsrc.create') });
  const cancel = h('button', { type: 'button', class: 'btn btn-ghost', testid: `${p}-cancel`, text: t('alertsrc.cancel'), on: { click: opts.onCancel } });
  const title = s ? t('alertsrc.editTitle', { name: s.name }) : t('alertsrc.newTitle');
  const form = h(
    'form',
    { class: 'fbset-form', novalidate: true, testid: `${p}-form`, 'data-id': s ? String(s.id) : undefined, 'aria-label': title },
    h('h3', { text: title }),
    s ? h('p', { class: 'hint' }, t('alertsrc.sender'), ': ', h('span', { class: 'mono', testid: `${p}-sender-fixed`, text: s.sender })) : null,
    h(
      'div',
      { class: 'form-grid' },
      sender ? field(t('alertsrc.sender'), sender, t('alertsrc.senderHint')) : null,
      field(t('alertsrc.name'), name),
      unit.el,
      field(t('alertsrc.feed'), feed, t('alertsrc.feedHint')),
    ),
    enabled.el,
    auto.el,
    thresholds,
    formMsg.el,
    h('div', { class: 'actions' }, submit, cancel),
  );
  form.addEventListener('input', (ev) => (ev.target as HTMLElement).removeAttribute('aria-invalid'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    formMsg.clear();
    const snd = sender?.value.trim() ?? '';
    if (sender && !SENDER_RE.test(snd)) return invalid(formMsg, sender, t('alertsrc.senderInvalid'));
    const n = name.value.trim();
    if (!n) return invalid(formMsg, name, t('alertsrc.nameRequired'));
    const u = unit.value();
    if (!u) return invalid(formMsg, unit.input, t('alertsrc.unitRequired'));
    const url = feed.value.trim();
    if (url && !URL_RE.test(url)) return invalid(formMsg, feed, t('alertsrc.feedInvalid'));
    const body = {
      name: n,
      unit_code: u.code,
      feed_url: url,
      auto_broadcast: auto.input.checked,
      min_severity: sev.value as CapSeverity,
      min_urgency: urg.value as CapUrgency,
      min_certainty: cer.value as CapCertainty,
      enabled: enabled.input.checked,
    };
    void busy(
      [...form.querySelectorAll<HTMLInputElement | HTMLButtonElement | HTMLSelectElement>('input, button, select')],
      async () => {
        try {
          if (s) {
            await opts.onSaved(await alertApi.updateSource(s.id, body), null);
          } else {
            const input: AlertSourceInput = { sender: snd, ...body };
            const { token, ...created } = await alertApi.createSource(input);
            await opts.onSaved(created, token);
          }
        } catch (err) {
          formMsg.error(errorText(err));
        }
      },
      { el: submit, busyText: t('common.busy') },
    );
  });
  return form;
}
