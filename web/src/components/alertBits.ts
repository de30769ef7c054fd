// Small pieces shared by the emergency-alert screens (CAP 1.2): who sees them, labels of the CAP
// values, the severity and state badges, and Unix-second times.

import { state } from '../app';
import { h, type Attrs } from '../dom';
import { hasKey, t } from '../i18n';
import type { Alert, User } from '../types';
import { timeEl } from './bulletinBits';
import { canOperate } from './deviceBits';

/** Alerts make loudspeakers speak: the people who operate devices (admins, station operators). */
export function canSeeAlerts(user: User | null = state.user): boolean {
  return canOperate(user);
}

export function alertHref(a: Pick<Alert, 'id'> | number): string {
  return `#/alerts/${typeof a === 'number' ? a : a.id}`;
}

/** The label of a CAP value or an alert state: `capLabel('severity', 'Extreme')`. */
export function capLabel(group: 'state' | 'severity' | 'urgency' | 'certainty' | 'msgType' | 'status' | 'scope' | 'origin', value: string): string {
  const key = `alert.${group}.${value}`;
  return hasKey(key) ? t(key) : value || '—';
}

export function alertStateBadge(s: string, testid?: string): HTMLSpanElement {
  return h('span', { class: `badge alert-state alert-state-${s}`, testid, 'data-state': s, text: capLabel('state', s) });
}

/** Severity coloured: Extreme red, Severe orange, Moderate yellow, anything else grey. */
export function severityBadge(severity: string, testid?: string): HTMLSpanElement {
  const known = ['Extreme', 'Severe', 'Moderate'].includes(severity) ? severity.toLowerCase() : 'other';
  return h('span', { class: `badge sev sev-${known}`, testid, 'data-severity': severity, text: capLabel('severity', severity) });
}

/** A badge for an alert that is not real (Test, Exercise, System, Draft), else null. */
export function notActualBadge(a: Pick<Alert, 'status'>, testid?: string): HTMLSpanElement | null {
  if (a.status === 'Actual') return null;
  return h('span', { class: 'badge badge-warn', testid, 'data-status': a.status, text: capLabel('status', a.status) });
}

/** "Ngay lập tức · Đã quan sát": urgency and certainty in one line. */
export function urgencyCertainty(a: Pick<Alert, 'urgency' | 'certainty'>): string {
  return `${capLabel('urgency', a.urgency)} · ${capLabel('certainty', a.certainty)}`;
}

/** A <time> for Unix seconds (0 or missing: "—"). */
export function unixTimeEl(seconds: number | null | undefined, testid?: string): HTMLTimeElement {
  return timeEl(seconds ? new Date(seconds * 1000).toISOString() : null, testid);
}

/** A table cell whose content stays together in the value column of the phone layout (label | value). */
export function cell(label: string, attrs: Attrs | null, ...content: (Node | string | null | (Node | string | null)[])[]): HTMLTableCellElement {
  return h('td', { ...attrs, 'data-label': label }, h('div', null, ...content));
}

/** What the list and the detail call an alert: its headline, else its event. */
export function alertTitle(a: Pick<Alert, 'headline' | 'event'>): string {
  return a.headline || a.event || t('alert.noTitle');
}
