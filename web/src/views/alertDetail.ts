// One emergency alert (#/alerts/<id>): its CAP fields, the Vietnamese text that is (or was) put on
// air with its audio, the areas on a map (polygons and circles; geocodes listed as units), the
// alerts it references, the CAP document as received, and the operator's decisions by state:
// pending → approve and broadcast, or reject with a reason; broadcast → stop. When the alert has
// a broadcast order, the devices' acknowledgements (components/alertBoard.ts).

import { alertApi, ApiError } from '../api';
import { navigate, state, type View } from '../app';
import {
  alertStateBadge,
  alertTitle,
  canSeeAlerts,
  capLabel,
  notActualBadge,
  severityBadge,
  unixTimeEl,
} from '../components/alertBits';
import { alertBoard } from '../components/alertBoard';
import { alertMap, shapeCount } from '../components/alertMap';
import { hasRoleOn, priorityBadge, spinner, unitInfo, unitLabel } from '../components/bulletinBits';
import { fmtNumber } from '../components/deviceBits';
import { busy, h, messageBox, replace, uid } from '../dom';
import { errorText } from '../errors';
import { t } from '../i18n';
import type { Alert, AlertArea, AlertDetail, Unit } from '../types';

type Msg = ReturnType<typeof messageBox>;
/** What a decision did, shown above the re-rendered alert. */
interface Notice {
  kind: 'success' | 'info';
  text: string;
}
type Rerender = (next: Alert, notice: Notice) => void;

/** The server keeps a rejection reason of at most 1000 bytes (UTF-8). */
const MAX_REASON_BYTES = 1000;

export function alertDetailView(): View {
  const el = h('section', { class: 'page detail-page alert-detail-page' });
  let seq = 0;

  const load = async (id: number) => {
    const mine = ++seq;
    replace(el, backLink(), spinner(t('app.loading')));
    let a: AlertDetail;
    try {
      a = await alertApi.get(id);
    } catch (err) {
      if (mine !== seq) return;
      const text = err instanceof ApiError && err.status === 404 ? t('alert.notFound', { id }) : errorText(err);
      replace(el, backLink(), h('p', { class: 'msg msg-error', role: 'alert', testid: 'alert-detail-error', text }));
      return;
    }
    const owner = a.owner_unit ? await unitInfo(a.owner_unit) : null;
    if (mine !== seq) return;
    render(a, owner);
  };

  const render = (a: AlertDetail, owner: Unit | null, notice?: Notice) => {
    const msg = messageBox('alert-detail-msg');
    if (notice) msg[notice.kind](notice.text);
    // The decision answers the alert without its document: keep the one already shown.
    const rerender = (next: Alert, done: Notice) => render({ ...next, xml: a.xml }, owner, done);
    replace(
      el,
      backLink(),
      header(a),
      msg.el,
      reasonNote(a),
      actionsCard(a, mayDecide(owner), msg, rerender),
      // The devices reached by the order and their acknowledgements (live while on air).
      a.order ? alertBoard(a) : null,
      h(
        'div',
        { class: 'detail-grid' },
        h('div', { class: 'detail-main' }, broadcastCard(a), areasCard(a.areas ?? []), xmlCard(a)),
        h('div', { class: 'detail-side' }, factsCard(a), referencesCard(a)),
      ),
    );
  };

  return {
    el,
    update(param) {
      const id = Number(param);
      if (!Number.isInteger(id) || id <= 0) {
        navigate('#/alerts');
        return;
      }
      void load(id);
    },
  };
}

/** Admins and station operators over the alert's unit decide (the server has the last word). */
function mayDecide(owner: Unit | null): boolean {
  const user = state.user;
  if (!owner) return canSeeAlerts(user);
  return hasRoleOn(user, 'admin', owner) || hasRoleOn(user, 'station_operator', owner);
}

function backLink(): HTMLElement {
  return h('p', { class: 'back' }, h('a', { href: '#/alerts', testid: 'alert-detail-back', text: t('alert.back') }));
}

function header(a: Alert): HTMLElement {
  return h(
    'header',
    { class: 'detail-head', testid: 'alert-detail', 'data-id': String(a.id), 'data-state': a.state },
    h('h1', { testid: 'alert-detail-title', text: alertTitle(a) }),
    h(
      'p',
      { class: 'badges' },
      alertStateBadge(a.state, 'alert-detail-state'),
      severityBadge(a.severity, 'alert-detail-severity'),
      priorityBadge(a.priority, 'alert-detail-priority'),
      notActualBadge(a, 'alert-detail-status'),
      a.msg_type && a.msg_type !== 'Alert' ? h('span', { class: 'badge', testid: 'alert-detail-msgtype', text: capLabel('msgType', a.msg_type) }) : null,
    ),
  );
}

/** Why the alert waits, was only recorded, or was rejected. */
function reasonNote(a: Alert): HTMLElement | null {
  if (!a.reason) return null;
  const key = a.state === 'rejected' ? 'alert.reason.rejected' : a.state === 'pending' ? 'alert.reason.pending' : 'alert.reason.other';
  return h('p', { class: 'msg msg-warn return-reason', role: 'note', testid: 'alert-reason', text: t(key, { reason: a.reason }) });
}

// ---- decisions ----------------------------------------------------------------------------------

function actionsCard(a: Alert, allowed: boolean, msg: Msg, rerender: Rerender): HTMLElement | null {
  if (!allowed || (a.state !== 'pending' && a.state !== 'broadcast')) return null;
  const buttons: HTMLButtonElement[] = [];
  const extra = h('div', { class: 'action-extra' });

  const run = (btn: HTMLButtonElement, call: () => Promise<Alert>, done: (next: Alert) => Notice) => {
    msg.clear();
    void busy(
      buttons,
      async () => {
        try {
          const next = await call();
          rerender(next, done(next));
        } catch (err) {
          msg.error(errorText(err));
          msg.el.setAttribute('data-code', err instanceof ApiError ? err.code : '');
        }
      },
      { el: btn, busyText: t('common.busy') },
    );
  };
  const button = (testid: string, text: string, cls: string) => {
    const btn = h('button', { type: 'button', class: cls, testid, text });
    buttons.push(btn);
    return btn;
  };

  const items: HTMLElement[] = [];
  if (a.state === 'pending') {
    const approve = button('alert-approve', t('alert.approve'), 'btn btn-danger');
    approve.addEventListener('click', () => {
      const ask = a.devices > 0 ? t('alert.confirmApprove', { n: fmtNumber(a.devices), title: alertTitle(a) }) : t('alert.confirmApproveArea', { title: alertTitle(a) });
      if (!window.confirm(ask)) return;
      run(approve, () => alertApi.approve(a.id), approvedNotice);
    });
    const reject = button('alert-reject', t('alert.reject'), 'btn');
    reject.setAttribute('aria-expanded', 'false');
    reject.addEventListener('click', () => {
      const open = reject.getAttribute('aria-expanded') === 'true';
      reject.setAttribute('aria-expanded', String(!open));
      if (open) replace(extra);
      else replace(extra, rejectForm(a, buttons, msg, rerender));
    });
    items.push(approve, reject);
  } else {
    const stop = button('alert-stop', t('alert.stop'), 'btn btn-danger');
    stop.addEventListener('click', () => {
      if (!window.confirm(t('alert.confirmStop', { title: alertTitle(a) }))) return;
      run(stop, () => alertApi.stop(a.id), () => ({ kind: 'success', text: t('alert.done.stopped') }));
    });
    items.push(stop);
  }
  return h(
    'section',
    { class: 'card actions-card', 'aria-label': t('alert.actions') },
    h('div', { class: 'actions', testid: 'alert-actions' }, items),
    a.state === 'pending' ? h('p', { class: 'hint', text: t('alert.approveHint') }) : null,
    extra,
  );
}

/** On air: success. Only recorded (nothing to play, no device…): said plainly, not as a success. */
function approvedNotice(next: Alert): Notice {
  if (next.state === 'broadcast') {
    // An order to the units of the area reaches the devices there without counting them first.
    const text = next.devices > 0 ? t('alert.done.broadcast', { n: fmtNumber(next.devices), order: next.order }) : t('alert.done.broadcastArea', { order: next.order });
    return { kind: 'success', text };
  }
  if (next.state === 'recorded') {
    return { kind: 'info', text: next.reason ? t('alert.done.recordedWhy', { reason: next.reason }) : t('alert.done.recorded') };
  }
  return { kind: 'info', text: t('alert.done.decided', { state: capLabel('state', next.state) }) };
}

function rejectForm(a: Alert, buttons: HTMLButtonElement[], msg: Msg, rerender: Rerender): HTMLElement {
  const id = uid('reason');
  const reason = h('textarea', { id, testid: 'alert-reject-reason', rows: '3', maxlength: String(MAX_REASON_BYTES), required: true });
  const confirm = h('button', { type: 'submit', class: 'btn btn-danger', testid: 'alert-reject-confirm', text: t('alert.rejectConfirm') });
  const form = h(
    'form',
    { class: 'return-form', novalidate: true, testid: 'alert-reject-form' },
    h('label', { for: id, text: t('alert.rejectReason') }),
    reason,
    h('div', { class: 'actions' }, confirm),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    msg.clear();
    const text = reason.value.trim();
    const problem = !text ? t('alert.rejectRequired') : new TextEncoder().encode(text).length > MAX_REASON_BYTES ? t('alert.rejectTooLong') : '';
    if (problem) {
      reason.setAttribute('aria-invalid', 'true');
      reason.focus();
      msg.error(problem);
      return;
    }
    void busy(
      [...buttons, confirm],
      async () => {
        try {
          rerender(await alertApi.reject(a.id, text), { kind: 'success', text: t('alert.done.rejected') });
        } catch (err) {
          msg.error(errorText(err));
        }
      },
      { el: confirm, busyText: t('common.busy') },
    );
  });
  queueMicrotask(() => reason.focus());
  return form;
}

// ---- content ------------------------------------------------------------------------------------

/** "Nội dung phát": the Vietnamese bulletin spoken on air, and its audio. */
function broadcastCard(a: Alert): HTMLElement {
  return h(
    'section',
    { class: 'card content-card', 'aria-labelledby': 'alert-text-title' },
    h('h2', { id: 'alert-text-title', text: t('alert.text') }),
    a.text
      ? h('div', { class: 'body-text', lang: 'vi', testid: 'alert-text', text: a.text })
      : h('p', { class: 'muted', testid: 'alert-text-none', text: t('alert.textNone') }),
    a.media_id
      ? h(
          'div',
          { class: 'audio-player', testid: 'alert-audio-box', 'data-media-id': a.media_id },
          h('audio', { controls: true, preload: 'metadata', src: alertApi.mediaUrl(a.media_id), testid: 'alert-audio', 'aria-label': t('audio.player') }),
        )
      : h('p', { class: 'muted', testid: 'alert-audio-none', text: t('alert.audioNone') }),
  );
}

function areasCard(areas: AlertArea[]): HTMLElement {
  const list = h(
    'ol',
    { class: 'alert-areas', testid: 'alert-areas' },
    areas.map((area, i) =>
      h(
        'li',
        { testid: `alert-area-${i}` },
        h('strong', { text: area.desc || t('alert.areaNoDesc') }),
        area.geocodes?.length
          ? h(
              'p',
              { class: 'alert-geocodes', testid: `alert-area-${i}-units` },
              `${t('alert.areaUnits')} `,
              area.geocodes.flatMap((code, j) => [j ? ', ' : '', unitLabel(code), ' ', h('span', { class: 'mono muted', text: `(${code})` })]),
            )
          : null,
        area.polygons?.length || area.circles?.length
          ? h('p', { class: 'hint', text: t('alert.areaShapes', { polygons: area.polygons?.length ?? 0, circles: area.circles?.length ?? 0 }) })
          : null,
      ),
    ),
  );
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'alert-areas-title' },
    h('h2', { id: 'alert-areas-title', text: t('alert.areas') }),
    shapeCount(areas) > 0
      ? alertMap({ testid: 'alert-map', label: t('alert.mapLabel'), areas })
      : h('p', { class: 'hint', testid: 'alert-map-none', text: t('alert.mapNone') }),
    areas.length ? list : h('p', { class: 'muted', testid: 'alert-areas-none', text: t('alert.areasNone') }),
  );
}

function xmlCard(a: AlertDetail): HTMLElement {
  return h(
    'section',
    { class: 'card' },
    h(
      'details',
      { class: 'alert-xml', testid: 'alert-xml-box' },
      h('summary', { testid: 'alert-xml-toggle', text: t('alert.xml') }),
      h('pre', { class: 'alert-xml-text mono', testid: 'alert-xml', lang: 'en', text: a.xml || '' }),
    ),
  );
}

function factsCard(a: Alert): HTMLElement {
  const row = (label: string, value: Node | string | null, testid: string) =>
    value === null ? null : [h('dt', { text: label }), h('dd', { testid }, value)];
  const decided = a.decided_at || a.decided_by ? h('span', null, a.decided_by || '—', a.decided_at ? [' · ', unixTimeEl(a.decided_at)] : null) : null;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'alert-facts-title' },
    h('h2', { id: 'alert-facts-title', text: t('alert.facts') }),
    h(
      'dl',
      { class: 'facts' },
      row(t('alert.f.event'), a.event || '—', 'alert-f-event'),
      row(t('alert.f.sender'), h('span', null, a.sender_name || a.sender, a.sender_name ? h('span', { class: 'row-summary mono', text: a.sender }) : null), 'alert-f-sender'),
      row(t('alert.f.identifier'), h('span', { class: 'mono', text: a.identifier }), 'alert-f-identifier'),
      row(t('alert.f.sent'), unixTimeEl(a.sent), 'alert-f-sent'),
      row(t('alert.f.received'), unixTimeEl(a.received_at), 'alert-f-received'),
      row(t('alert.f.expires'), a.expires ? unixTimeEl(a.expires) : t('alert.f.noExpiry'), 'alert-f-expires'),
      row(t('alert.f.msgType'), capLabel('msgType', a.msg_type), 'alert-f-msgtype'),
      row(t('alert.f.status'), capLabel('status', a.status), 'alert-f-status'),
      row(t('alert.f.scope'), capLabel('scope', a.scope), 'alert-f-scope'),
      row(t('alert.f.severity'), capLabel('severity', a.severity), 'alert-f-severity'),
      row(t('alert.f.urgency'), capLabel('urgency', a.urgency), 'alert-f-urgency'),
      row(t('alert.f.certainty'), capLabel('certainty', a.certainty), 'alert-f-certainty'),
      row(t('alert.f.origin'), capLabel('origin', a.origin), 'alert-f-origin'),
      row(t('alert.f.owner'), a.owner_unit ? unitLabel(a.owner_unit) : '—', 'alert-f-owner'),
      row(t('alert.f.devices'), fmtNumber(a.devices), 'alert-f-devices'),
      row(t('alert.f.order'), a.order ? h('span', { class: 'mono', text: a.order }) : null, 'alert-f-order'),
      row(t('alert.f.decided'), decided, 'alert-f-decided'),
    ),
  );
}

/** The earlier alerts this one updates or cancels (CAP <references>). */
function referencesCard(a: Alert): HTMLElement | null {
  if (!a.references?.length) return null;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'alert-refs-title' },
    h('h2', { id: 'alert-refs-title', text: t('alert.references') }),
    h(
      'ul',
      { class: 'alert-refs', testid: 'alert-references' },
      a.references.map((r) =>
        h('li', null, h('span', { class: 'mono', text: r.identifier }), h('span', { class: 'row-summary' }, r.sender, ' · ', unixTimeEl(r.sent))),
      ),
    ),
  );
}
