// Small pieces shared by the bulletin screens: badges, times (Vietnam time, UTC+7), role checks
// and a cache of unit names (bulletins carry unit codes only).

import { api } from '../api';
import { state } from '../app';
import { h } from '../dom';
import { labelOf, lang, t } from '../i18n';
import type { Bulletin, Unit, User } from '../types';

export const VN_OFFSET_MS = 7 * 3600 * 1000;

/** "28/06/2024 07:30" (vi) or "28/06/2024, 07:30" (en), always in Vietnam time. */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return t('time.none');
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  try {
    return new Intl.DateTimeFormat(lang() === 'vi' ? 'vi-VN' : 'en-GB', {
      timeZone: 'Asia/Ho_Chi_Minh',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
    }).format(new Date(ms));
  } catch {
    return new Date(ms + VN_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');
  }
}

export function timeEl(iso: string | null | undefined, testid?: string): HTMLTimeElement {
  return h('time', { datetime: iso ?? undefined, testid, text: fmtTime(iso) });
}

/** An API time → the value of an <input type="datetime-local"> in Vietnam time ("" for null). */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  return new Date(ms + VN_OFFSET_MS).toISOString().slice(0, 16);
}

/** A datetime-local value (Vietnam time) → ISO 8601 with the +07:00 offset, or null when empty. */
export function fromLocalInput(value: string): string | null {
  const v = value.trim();
  if (!v) return null;
  const withSeconds = /T\d{2}:\d{2}$/.test(v) ? `${v}:00` : v.slice(0, 19);
  return `${withSeconds}+07:00`;
}

/** 7.2 → "0:07" plus seconds with one decimal: "0:07 (7,2 s)". */
export function fmtDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const m = Math.floor(whole / 60);
  const s = whole % 60;
  const exact = seconds.toLocaleString(lang() === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
  return `${m}:${String(s).padStart(2, '0')} (${exact} ${lang() === 'vi' ? 'giây' : 's'})`;
}

export function statusBadge(status: string, testid?: string): HTMLSpanElement {
  return h('span', { class: `badge status status-${status}`, testid, 'data-status': status, text: labelOf('status', status) });
}

export function priorityBadge(priority: string, testid?: string): HTMLSpanElement {
  return h('span', { class: `badge prio prio-${priority}`, testid, 'data-priority': priority, text: labelOf('priority', priority) });
}

export function categoryLabel(code: string): string {
  const c = state.meta?.categories?.find((x) => x.code === code);
  if (!c) return code;
  return lang() === 'vi' ? c.name_vi : c.name_en;
}

// ---- roles --------------------------------------------------------------------------------------

export function hasRoleSomewhere(user: User | null, role: string): boolean {
  return !!user?.roles.some((r) => r.role === role);
}

/** True when `user` holds `role` on `unit` or one of its ancestors (a grant covers the subtree). */
export function hasRoleOn(user: User | null, role: string, unit: Pick<Unit, 'code' | 'ancestors'>): boolean {
  if (!user) return false;
  const chain = new Set([unit.code, ...(unit.ancestors ?? []).map((a) => a.code)]);
  return user.roles.some((r) => r.role === role && chain.has(r.unit_code));
}

/** Units where the user holds `role` (the grant roots), in grant order, without duplicates. */
export function grantUnits(user: User | null, role: string): { code: string; name: string }[] {
  const seen = new Set<string>();
  const out: { code: string; name: string }[] = [];
  for (const r of user?.roles ?? []) {
    if (r.role !== role || seen.has(r.unit_code)) continue;
    seen.add(r.unit_code);
    out.push({ code: r.unit_code, name: r.unit_name || r.unit_code });
  }
  return out;
}

// ---- unit names -----------------------------------------------------------------------------------

const unitCache = new Map<string, Promise<Unit | null>>();

export function resetBulletinCaches(): void {
  unitCache.clear();
}

/** The unit (with ancestors), or null when it cannot be read; cached for the session. */
export function unitInfo(code: string): Promise<Unit | null> {
  let p = unitCache.get(code);
  if (!p) {
    p = api.unit(code).catch(() => null);
    unitCache.set(code, p);
  }
  return p;
}

/** A span showing the unit code at once, replaced by its name when known. */
export function unitLabel(code: string, testid?: string): HTMLSpanElement {
  const el = h('span', { class: 'unit-label', testid, 'data-code': code, text: code });
  void unitInfo(code).then((u) => {
    if (u) {
      el.textContent = u.name;
      el.title = `${u.name} (${u.code})`;
    }
  });
  return el;
}

export function bulletinHref(b: Pick<Bulletin, 'id'> | number): string {
  return `#/bulletins/${typeof b === 'number' ? b : b.id}`;
}

/** A spinner with a text for screen readers and sighted users alike. */
export function spinner(text: string, testid?: string): HTMLElement {
  return h('p', { class: 'spinner-line', role: 'status', testid }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', { text }));
}
