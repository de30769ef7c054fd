// Small pieces shared by the device, schedule and play-log screens: who may operate devices,
// device condition (playing / online / offline / never seen), badges and number formats.

import { state, isAdmin } from '../app';
import { h } from '../dom';
import { hasKey, lang, t } from '../i18n';
import type { Device, User } from '../types';
import { hasRoleSomewhere, VN_OFFSET_MS } from './bulletinBits';

/** Admins and station operators act on devices and schedules; viewers only look. */
export function canOperate(user: User | null = state.user): boolean {
  return isAdmin(user) || hasRoleSomewhere(user, 'station_operator');
}

/** Who sees the device screens at all: operators and viewers. */
export function canSeeDevices(user: User | null = state.user): boolean {
  return canOperate(user) || hasRoleSomewhere(user, 'viewer');
}

export type Condition = 'playing' | 'online' | 'offline' | 'never' | 'decommissioned';
export const CONDITIONS: readonly Condition[] = ['playing', 'online', 'offline', 'never', 'decommissioned'];

/** What a device is doing now, for colours and badges. */
export function condition(d: Device): Condition {
  if (d.status === 'decommissioned') return 'decommissioned';
  if (d.online && d.state?.playing) return 'playing';
  if (d.online) return 'online';
  if (!d.last_seen) return 'never';
  return 'offline';
}

/** Marker colours by condition (also used by the legend). */
export const CONDITION_COLOURS: Record<Condition, string> = {
  playing: '#0b5cad',
  online: '#1e7b34',
  offline: '#b3261e',
  never: '#6b7683',
  decommissioned: '#a0a8b2',
};

export function conditionBadge(d: Device, testid?: string): HTMLSpanElement {
  const c = condition(d);
  return h('span', { class: `badge cond cond-${c}`, testid, 'data-condition': c }, h('span', { class: 'cond-dot', 'aria-hidden': 'true' }), t(`dev.cond.${c}`));
}

export function deviceStatusLabel(status: string): string {
  const key = `dev.status.${status}`;
  return hasKey(key) ? t(key) : status;
}

export function kindLabel(kind: string): string {
  const key = `dev.kind.${kind}`;
  return hasKey(key) ? t(key) : kind;
}

export function deviceHref(id: string): string {
  return `#/devices/${encodeURIComponent(id)}`;
}

const nf = () => new Intl.NumberFormat(lang() === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: 1 });

export function fmtNumber(n: number | null | undefined): string {
  return n === null || n === undefined || Number.isNaN(n) ? '—' : nf().format(n);
}

export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${nf().format(v)} ${units[i]}`;
}

/** "1 giờ 05 phút" / "1 h 05 min" style airtime. */
export function fmtSeconds(total: number): string {
  const s = Math.max(0, Math.round(total));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  if (hh) return t('dev.dur.hm', { h: hh, m: String(mm).padStart(2, '0') });
  if (mm) return t('dev.dur.ms', { m: mm, s: String(ss).padStart(2, '0') });
  return t('dev.dur.s', { s: ss });
}

/** A time from the API: ISO 8601 string or Unix seconds → milliseconds (NaN when unknown). */
export function toMs(v: string | number | null | undefined): number {
  if (v === null || v === undefined || v === '') return NaN;
  if (typeof v === 'number') return v < 1e11 ? v * 1000 : v;
  if (/^\d+$/.test(v)) return toMs(Number(v));
  return Date.parse(v);
}

/** Milliseconds → ISO string (for the time formatters), or null. */
export function msToIso(ms: number): string | null {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** Today's date in Vietnam (YYYY-MM-DD). */
export function vnToday(): string {
  return new Date(Date.now() + VN_OFFSET_MS).toISOString().slice(0, 10);
}

/** YYYY-MM-DD plus `days`. */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** "5 phút trước" / "5 min ago" for a last-seen time. */
export function ago(iso: string | null | undefined): string {
  if (!iso) return t('dev.never');
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const sec = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (sec < 60) return t('dev.ago.s', { n: sec });
  if (sec < 3600) return t('dev.ago.m', { n: Math.floor(sec / 60) });
  if (sec < 86400) return t('dev.ago.h', { n: Math.floor(sec / 3600) });
  return t('dev.ago.d', { n: Math.floor(sec / 86400) });
}

/** A fixed-width progress bar with its percentage, for volume or airtime. */
export function meter(fraction: number, label: string, testid?: string): HTMLElement {
  const pct = Math.max(0, Math.min(100, Math.round(fraction * 100)));
  const bar = h('span', { class: 'meter-fill' });
  bar.style.width = `${pct}%`;
  return h('span', { class: 'meter', role: 'img', 'aria-label': label, testid, title: label }, bar);
}
