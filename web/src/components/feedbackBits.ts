// Small pieces shared by the feedback screens (phản ánh, kiến nghị): who may do what, badges for
// the status, the answer and the running deadline, category names, and short titles.

import { ApiError, feedbackApi } from '../api';
import { isAdmin, state } from '../app';
import { h } from '../dom';
import { errorText } from '../errors';
import { hasKey, lang, t } from '../i18n';
import type { Agency, Feedback, FeedbackService, User } from '../types';
import { fmtTime, hasRoleSomewhere, VN_OFFSET_MS } from './bulletinBits';

export function feedbackHref(f: Pick<Feedback, 'id'> | number): string {
  return `#/feedback/${typeof f === 'number' ? f : f.id}`;
}

/** Everyone with a grant reads the feedback of their scope; the server filters. */
export function canSeeFeedback(user: User | null = state.user): boolean {
  return !!user && (isAdmin(user) || user.roles.length > 0);
}

/** Staff entry on a citizen's behalf: feedback handlers, propagandists and editors. */
export function canEnterFeedback(user: User | null = state.user): boolean {
  return ['feedback_handler', 'propagandist', 'editor'].some((r) => hasRoleSomewhere(user, r));
}

function label(prefix: string, value: string): string {
  const key = `${prefix}.${value}`;
  return hasKey(key) ? t(key) : value;
}

export const fbStatusLabel = (s: string): string => label('fb.status', s);
export const answerStatusLabel = (s: string): string => label('fb.ans', s);
export const channelLabel = (s: string): string => label('fb.channel', s);
export const eventLabel = (s: string): string => label('fb.event', s);

export function fbStatusBadge(status: string, testid?: string): HTMLSpanElement {
  return h('span', { class: `badge fb-status fb-status-${status}`, testid, 'data-status': status, text: fbStatusLabel(status) });
}

export function answerBadge(status: string, testid?: string): HTMLSpanElement {
  return h('span', { class: `badge fb-answer fb-answer-${status}`, testid, 'data-answer': status, text: answerStatusLabel(status) });
}

/**
 * A deadline: the server gives the end of the last working day (midnight, Vietnam time), shown as
 * "hết ngày 24/12/2026"; any other time as date and time.
 */
export function fmtDeadline(iso: string | null | undefined): string {
  if (!iso) return t('time.none');
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const local = new Date(ms + VN_OFFSET_MS);
  if (local.getUTCHours() || local.getUTCMinutes() || local.getUTCSeconds()) return fmtTime(iso);
  const day = new Date(ms + VN_OFFSET_MS - 1);
  const dd = String(day.getUTCDate()).padStart(2, '0');
  const mm = String(day.getUTCMonth() + 1).padStart(2, '0');
  return t('fb.deadline.endOf', { date: `${dd}/${mm}/${day.getUTCFullYear()}` });
}

/** "còn 3 ngày" / "quá hạn 2 ngày" / "còn 5 giờ" for a deadline (ISO). */
export function deadlineRelative(iso: string | null): string {
  if (!iso) return t('fb.deadline.none');
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const diff = ms - Date.now();
  const hours = Math.abs(diff) / 3_600_000;
  const span = hours >= 24 ? t('fb.deadline.days', { n: Math.floor(hours / 24) }) : t('fb.deadline.hours', { n: Math.max(1, Math.floor(hours)) });
  return diff >= 0 ? t('fb.deadline.left', { span }) : t('fb.deadline.late', { span });
}

/** The running deadline coloured by its state (overdue red, soon amber, ok green, none grey). */
export function deadlineBadge(f: Pick<Feedback, 'deadline' | 'deadline_state'>, testid?: string): HTMLElement {
  const st = f.deadline_state || 'none';
  const running = st !== 'none' && !!f.deadline;
  return h(
    'span',
    { class: `deadline dl-${st}`, testid, 'data-state': st },
    h('span', { class: `badge dl-badge dl-badge-${st}`, text: running ? deadlineRelative(f.deadline) : t('fb.deadline.notRunning') }),
    running ? h('time', { class: 'dl-when', datetime: f.deadline ?? undefined, text: fmtDeadline(f.deadline) }) : null,
  );
}

export function escalationFlag(f: Pick<Feedback, 'escalation'>, testid?: string): HTMLElement | null {
  if (!f.escalation) return null;
  return h('span', {
    class: 'badge fb-escalated',
    testid,
    title: t('fb.escalatedTimes', { n: f.escalation }),
    'aria-label': t('fb.escalatedTimes', { n: f.escalation }),
    text: f.escalation > 1 ? `⚑ ${t('fb.escalated')} ×${f.escalation}` : `⚑ ${t('fb.escalated')}`,
  });
}

/** The title, or the first words of the description. */
export function feedbackTitle(f: Pick<Feedback, 'title' | 'description'>, maxChars = 80): string {
  const title = f.title.trim();
  if (title) return title;
  const text = f.description.replace(/\s+/g, ' ').trim();
  if (!text) return t('fb.noTitle');
  if (text.length <= maxChars) return text;
  const cut = text.slice(0, maxChars);
  const space = cut.lastIndexOf(' ');
  return `${(space > maxChars / 2 ? cut.slice(0, space) : cut).replace(/[\s,.;:]+$/, '')}…`;
}

// ---- categories and agencies (cached per session) --------------------------------------------------

let servicesCache: Promise<FeedbackService[]> | null = null;
let agenciesCache: Promise<Agency[]> | null = null;

export function resetFeedbackCaches(): void {
  servicesCache = null;
  agenciesCache = null;
}

export function loadServices(): Promise<FeedbackService[]> {
  if (!servicesCache) {
    servicesCache = feedbackApi.services().then(
      (r) => r.items,
      (err: unknown) => {
        servicesCache = null;
        throw err;
      },
    );
  }
  return servicesCache;
}

export function loadAgencies(): Promise<Agency[]> {
  if (!agenciesCache) {
    agenciesCache = feedbackApi.agencies().then(
      (r) => r.items,
      (err: unknown) => {
        agenciesCache = null;
        throw err;
      },
    );
  }
  return agenciesCache;
}

export function serviceName(s: FeedbackService): string {
  return (lang() === 'vi' ? s.name_vi : s.name_en) || s.name_vi || s.code;
}

export function serviceLabel(code: string, services: FeedbackService[]): string {
  const s = services.find((x) => x.code === code);
  return s ? serviceName(s) : code;
}

/** Options of a category <select>: ungrouped categories first, then one <optgroup> per group. */
export function serviceOptions(services: FeedbackService[], opts: { includeInactive?: boolean } = {}): HTMLElement[] {
  const shown = services.filter((s) => s.active || opts.includeInactive);
  const option = (s: FeedbackService) => h('option', { value: s.code, text: serviceName(s) });
  const groups = [...new Set(shown.map((s) => s.group).filter(Boolean))];
  return [
    ...shown.filter((s) => !s.group).map(option),
    ...groups.map((g) => h('optgroup', { label: g }, shown.filter((s) => s.group === g).map(option))),
  ];
}

/** "Nguyễn Văn A · 0912…" style; "" when empty. */
export function contactLine(f: Feedback): string {
  const c = f.contact;
  if (!c) return '';
  return [c.name, c.phone, c.email].filter(Boolean).join(' · ');
}

/** Codes whose server message names what is wrong (the attribute, the state). */
const DETAILED = new Set(['invalid_attribute', 'missing_location', 'invalid_state', 'unsupported_attachment', 'unknown_service']);

/** errorText, plus the four-eyes refusal of an answer and the detail of feedback-specific codes. */
export function fbErrorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'forbidden' && /four.?eyes/i.test(err.message)) return t('fb.err.fourEyes');
    const key = `err.${err.code}`;
    if (DETAILED.has(err.code) && hasKey(key) && err.message) return t('err.detail', { text: t(key), message: err.message });
  }
  return errorText(err);
}
