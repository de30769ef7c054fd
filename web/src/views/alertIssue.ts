// "Phát lệnh khẩn cấp" (#/alerts/new): an admin or station operator issues an emergency order in
// the name of a unit, as a CAP alert of this system. The target is units inside the owner unit
// and/or a polygon drawn on the map. Submitting asks for a confirmation that restates the scope,
// then POST /api/v1/alerts; on success the alert's detail page opens (with the live board).
// Exercise and Test orders are published but never played.

import { alertApi, ApiError, deviceApi } from '../api';
import { flash, navigate, state, type View } from '../app';
import { alertHref, capLabel } from '../components/alertBits';
import { grantUnits, unitInfo } from '../components/bulletinBits';
import { fmtSeconds } from '../components/deviceBits';
import { polygonDraw, selfIntersects, type PolygonDraw } from '../components/polygonDraw';
import { unitChips, type UnitChips } from '../components/unitChips';
import { unitPicker, type UnitPicker } from '../components/unitPicker';
import { busy, field, h, messageBox, uid } from '../dom';
import { errorField, errorText } from '../errors';
import { hasKey, t } from '../i18n';
import {
  CAP_CATEGORIES,
  CAP_CERTAINTIES,
  CAP_SEVERITIES,
  CAP_URGENCIES,
  ISSUE_STATUSES,
  type Alert,
  type AlertOrderInput,
  type CapCategory,
  type CapCertainty,
  type CapSeverity,
  type CapUrgency,
  type IssueStatus,
  type UnitRef,
} from '../types';

type Msg = ReturnType<typeof messageBox>;

const MAX_EVENT = 200;
const MAX_HEADLINE = 400;
const MAX_TEXT = 4000;
const MIN_EXPIRES = 5;
const MAX_EXPIRES = 10080;
const DEFAULT_EXPIRES = 360;

/** The controls of the form. */
interface Fields {
  owner: UnitPicker;
  status: HTMLSelectElement;
  category: HTMLSelectElement;
  event: HTMLInputElement;
  headline: HTMLInputElement;
  description: HTMLTextAreaElement;
  instruction: HTMLTextAreaElement;
  severity: HTMLSelectElement;
  urgency: HTMLSelectElement;
  certainty: HTMLSelectElement;
  areas: UnitChips;
  polygon: PolygonDraw;
  expires: HTMLInputElement;
}

/** A client-side problem: what to say and where to put the focus. */
interface Problem {
  error: string;
  focus: HTMLElement | null;
}

export function alertIssueView(): View {
  const msg = messageBox('ai-msg');
  const el = h(
    'section',
    { class: 'page alert-issue-page' },
    h('p', { class: 'back' }, h('a', { href: '#/alerts', testid: 'ai-back', text: t('alertnew.back') })),
    h('h1', { text: t('alertnew.title') }),
    h('p', { class: 'hint alerts-intro', text: t('alertnew.intro') }),
    issueForm(msg),
  );
  return { el };
}

/** The first unit where the user may issue orders (admin, else station operator), if any. */
function defaultOwner(): UnitRef | null {
  const units = [...grantUnits(state.user, 'admin'), ...grantUnits(state.user, 'station_operator')];
  return units[0] ?? null;
}

function capSelect<T extends string>(testid: string, values: readonly T[], label: (v: T) => string, initial: T): HTMLSelectElement {
  const sel = h('select', { testid }, values.map((v) => h('option', { value: v, text: label(v) })));
  sel.value = initial;
  return sel;
}

function categoryLabel(c: string): string {
  const key = `alertnew.cat.${c}`;
  return hasKey(key) ? t(key) : c;
}

function textArea(testid: string, label: string): { box: HTMLElement; area: HTMLTextAreaElement } {
  const id = uid('ta');
  const area = h('textarea', { id, testid, rows: '4', maxlength: String(MAX_TEXT) });
  return { box: h('div', { class: 'field' }, h('label', { for: id, text: label }), area), area };
}

/** The controls, and the wrappers laid out by the form. */
function buildFields(): { f: Fields; boxes: Record<'description' | 'instruction' | 'expires' | 'statusNote', HTMLElement> } {
  const owner = unitPicker({ label: `${t('alertnew.owner')} *`, testid: 'ai-owner', initial: defaultOwner(), hint: t('alertnew.ownerHint') });
  const status = capSelect<IssueStatus>('ai-status', ISSUE_STATUSES, (s) => capLabel('status', s), 'Actual');
  const category = capSelect<CapCategory>('ai-category', CAP_CATEGORIES, categoryLabel, 'Met');
  const event = h('input', { type: 'text', testid: 'ai-event', maxlength: String(MAX_EVENT), autocomplete: 'off', required: true });
  const headline = h('input', { type: 'text', testid: 'ai-headline', maxlength: String(MAX_HEADLINE), autocomplete: 'off', required: true });
  const severity = capSelect<CapSeverity>('ai-severity', CAP_SEVERITIES, (v) => capLabel('severity', v), 'Extreme');
  const urgency = capSelect<CapUrgency>('ai-urgency', CAP_URGENCIES, (v) => capLabel('urgency', v), 'Immediate');
  const certainty = capSelect<CapCertainty>('ai-certainty', CAP_CERTAINTIES, (v) => capLabel('certainty', v), 'Observed');
  const areas = unitChips({ legend: t('alertnew.areasUnits'), testid: 'ai-areas', hint: t('alertnew.areasHint') });
  const polygon = polygonDraw({ testid: 'ai-polygon', label: t('alertnew.polygon') });
  const expires = h('input', { type: 'number', testid: 'ai-expires', min: String(MIN_EXPIRES), max: String(MAX_EXPIRES), step: '1', value: String(DEFAULT_EXPIRES), inputmode: 'numeric' });
  const expiresField = field(`${t('alertnew.expires')} *`, expires, expiresHint(expires.value));
  expires.addEventListener('input', () => {
    const hint = expiresField.querySelector('.hint');
    if (hint) hint.textContent = expiresHint(expires.value);
  });
  const statusNote = h('p', { class: 'msg msg-warn', testid: 'ai-status-note', role: 'note', hidden: true });
  const description = textArea('ai-description', t('alertnew.description'));
  const instruction = textArea('ai-instruction', t('alertnew.instruction'));
  return {
    f: { owner, status, category, event, headline, description: description.area, instruction: instruction.area, severity, urgency, certainty, areas, polygon, expires },
    boxes: { description: description.box, instruction: instruction.box, expires: expiresField, statusNote },
  };
}

function expiresHint(value: string): string {
  const n = Number(value);
  return t('alertnew.expiresHint', { text: Number.isInteger(n) && n > 0 ? fmtSeconds(n * 60) : '—' });
}

function issueForm(msg: Msg): HTMLElement {
  const { f, boxes } = buildFields();
  const statusNote = boxes.statusNote;
  const submit = h('button', { type: 'submit', class: 'btn btn-danger', testid: 'ai-submit', text: t('alertnew.submit') });
  const polygonLegend = uid('poly');

  const form = h(
    'form',
    { class: 'card alert-issue-form', testid: 'ai-form', novalidate: true, 'data-status': 'Actual' },
    h(
      'fieldset',
      { class: 'plain-fieldset' },
      h('legend', { class: 'fb-legend-h', text: t('alertnew.who') }),
      f.owner.el,
      h('div', { class: 'form-grid' }, field(t('alertnew.status'), f.status, t('alertnew.statusHint')), field(t('alertnew.category'), f.category)),
      statusNote,
    ),
    h(
      'fieldset',
      { class: 'plain-fieldset' },
      h('legend', { class: 'fb-legend-h', text: t('alertnew.what') }),
      field(`${t('alertnew.event')} *`, f.event, t('alertnew.eventHint')),
      field(`${t('alertnew.headline')} *`, f.headline),
      boxes.description,
      boxes.instruction,
      h(
        'div',
        { class: 'form-grid compact' },
        field(t('alertnew.severity'), f.severity),
        field(t('alertnew.urgency'), f.urgency),
        field(t('alertnew.certainty'), f.certainty),
      ),
    ),
    h(
      'fieldset',
      { class: 'plain-fieldset' },
      h('legend', { class: 'fb-legend-h', text: t('alertnew.where') }),
      f.areas.el,
      h('div', { class: 'targets polygon-targets', role: 'group', 'aria-labelledby': polygonLegend }, h('p', { id: polygonLegend, class: 'polygon-legend', text: t('alertnew.polygon') }), f.polygon.el),
    ),
    h('fieldset', { class: 'plain-fieldset' }, h('legend', { class: 'fb-legend-h', text: t('alertnew.when') }), boxes.expires),
    msg.el,
    h('div', { class: 'actions' }, submit, h('a', { class: 'btn btn-ghost', href: '#/alerts', testid: 'ai-cancel', text: t('alertnew.cancel') })),
  );

  showLandmarks(f);
  // A message from the form's own checks goes once the person changes something.
  form.addEventListener('input', () => {
    if (msg.el.getAttribute('data-code') === 'client') msg.clear();
  });

  f.status.addEventListener('change', () => {
    const s = f.status.value;
    const played = s === 'Actual';
    form.dataset.status = s;
    statusNote.hidden = played;
    statusNote.textContent = played ? '' : t('alertnew.statusNotPlayed', { status: capLabel('status', s) });
    submit.textContent = played ? t('alertnew.submit') : t('alertnew.submitNotPlayed', { status: capLabel('status', s) });
    submit.className = played ? 'btn btn-danger' : 'btn btn-primary';
  });

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    msg.clear();
    msg.el.removeAttribute('data-code');
    const input = collect(f);
    if ('error' in input) {
      msg.el.setAttribute('data-code', 'client');
      msg.error(input.error);
      input.focus?.focus();
      return;
    }
    void busy([submit], () => confirmAndIssue(input, msg), { el: submit, busyText: t('common.busy') });
  });
  return form;
}

/** The owner unit's devices as landmarks on the drawing map (no tiles offline: nothing else to see). */
function showLandmarks(f: Fields): void {
  let seq = 0;
  const show = (code: string | undefined) => {
    const mine = ++seq;
    if (!code) return f.polygon.setReference([]);
    deviceApi.devices({ unit: code, limit: 500 }).then(
      (list) => {
        if (mine === seq) f.polygon.setReference(list.items.flatMap((d) => (typeof d.lat === 'number' && typeof d.lon === 'number' ? [{ lat: d.lat, lon: d.lon }] : [])));
      },
      () => undefined, // landmarks only: the form works without them
    );
  };
  f.owner.onChange((u) => show(u?.code));
  show(f.owner.value()?.code);
}

/** The order as the server expects it, or the first problem found (nothing is sent then). */
function collect(f: Fields): AlertOrderInput | Problem {
  const owner = f.owner.value();
  if (!owner) return { error: t('alertnew.err.owner'), focus: f.owner.input };
  const event = f.event.value.trim();
  const headline = f.headline.value.trim();
  if (!event) return { error: t('alertnew.err.event'), focus: f.event };
  if (!headline) return { error: t('alertnew.err.headline'), focus: f.headline };
  const areas = f.areas.values();
  const polygon = f.polygon.points();
  if (polygon.length > 0 && polygon.length < 3) return { error: t('alertnew.err.polygonShort', { n: polygon.length }), focus: null };
  if (!areas.length && !polygon.length) return { error: t('alertnew.err.area'), focus: f.areas.el.querySelector('input') };
  if (selfIntersects(polygon)) return { error: t('alertnew.err.polygonCross'), focus: null };
  const expires = Number(f.expires.value);
  if (!Number.isInteger(expires) || expires < MIN_EXPIRES || expires > MAX_EXPIRES) return { error: t('alertnew.err.expires'), focus: f.expires };
  const body: AlertOrderInput = {
    owner_unit: owner.code,
    status: f.status.value as IssueStatus,
    category: f.category.value as CapCategory,
    event,
    headline,
    severity: f.severity.value as CapSeverity,
    urgency: f.urgency.value as CapUrgency,
    certainty: f.certainty.value as CapCertainty,
    expires_minutes: expires,
  };
  const description = f.description.value.trim();
  const instruction = f.instruction.value.trim();
  if (description) body.description = description;
  if (instruction) body.instruction = instruction;
  if (areas.length) body.areas = areas;
  if (polygon.length) body.polygon = polygon;
  return body;
}

/** "Phường Hạc Thành, Xã Hải Lĩnh và vùng vẽ trên bản đồ (4 đỉnh)". */
async function scopeText(body: AlertOrderInput): Promise<string> {
  const parts: string[] = [];
  if (body.areas?.length) {
    const units = await Promise.all(body.areas.map((code) => unitInfo(code)));
    parts.push(body.areas.map((code, i) => units[i]?.name ?? code).join(', '));
  }
  if (body.polygon?.length) parts.push(t('alertnew.scopePolygon', { n: body.polygon.length }));
  return parts.join(t('alertnew.scopeJoin'));
}

async function confirmAndIssue(body: AlertOrderInput, msg: Msg): Promise<void> {
  const scope = await scopeText(body);
  const played = body.status === 'Actual';
  const ask = played ? t('alertnew.confirm', { scope }) : t('alertnew.confirmNotPlayed', { status: capLabel('status', body.status ?? ''), scope });
  if (!window.confirm(ask)) return;
  try {
    const a = await alertApi.issue(body);
    flash(doneText(a));
    navigate(alertHref(a));
  } catch (err) {
    msg.el.setAttribute('data-code', err instanceof ApiError ? err.code : '');
    msg.error(issueErrorText(err));
    msg.el.scrollIntoView({ block: 'nearest' });
  }
}

/** The server's refusal in words: who may issue, which unit is out of reach, else the usual text. */
function issueErrorText(err: unknown): string {
  if (!(err instanceof ApiError)) return errorText(err);
  if (err.code === 'forbidden') return t('alertnew.err.forbidden');
  if (err.code === 'invalid_reference') {
    // A unit outside the caller's reach reads as unknown: "owner_unit: no unit 38".
    const which = errorField(err);
    if (which === 'owner_unit') return t('alertnew.err.ownerRef');
    if (which === 'areas') return t('err.detail', { text: t('alertnew.err.areasRef'), message: err.message });
  }
  return errorText(err);
}

function doneText(a: Alert): string {
  if (a.state === 'broadcast') return t('alertnew.done.broadcast', { order: a.order });
  if (a.state === 'pending') return t('alertnew.done.pending');
  return a.reason ? t('alertnew.done.recordedWhy', { reason: a.reason }) : t('alertnew.done.recorded');
}
