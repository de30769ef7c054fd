// Broadcast schedule (#/schedule): a week view (7 day columns, hours 05–22, slots as blocks
// coloured by priority) from GET /api/v1/schedule, navigation by week, a unit filter, and the list
// of programmes (chương trình) with links to the programme editor.

import { deviceApi } from '../api';
import { state, type View } from '../app';
import { priorityBadge, spinner, unitLabel } from '../components/bulletinBits';
import { addDays, canOperate, toMs, vnToday } from '../components/deviceBits';
import { unitPicker } from '../components/unitPicker';
import { h, messageBox, replace } from '../dom';
import { labelOf, lang, t } from '../i18n';
import { errorText } from '../errors';
import type { Programme, ScheduleEntry, UnitRef } from '../types';
import { describeRrule } from './scheduleEditor';

export const DAY_START_H = 5;
export const DAY_END_H = 23; // the 22:00 row ends at 23:00
const VN_OFFSET_MS = 7 * 3600 * 1000;

let saved: { user: number; week: string; unit: UnitRef | null } | null = null;

/** Monday of the week holding `date` (YYYY-MM-DD). */
export function mondayOf(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  const dow = (d.getUTCDay() + 6) % 7; // Monday = 0
  return addDays(date, -dow);
}

function dayName(date: string, style: 'long' | 'short'): string {
  return new Intl.DateTimeFormat(lang() === 'vi' ? 'vi-VN' : 'en-GB', { weekday: style, day: '2-digit', month: '2-digit', timeZone: 'UTC' }).format(new Date(`${date}T00:00:00Z`));
}

function hhmm(minutes: number): string {
  const m = Math.max(0, Math.round(minutes));
  return `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

interface Placed {
  e: ScheduleEntry;
  day: string;
  startMin: number;
  endMin: number;
  lane: number;
  lanes: number;
}

/** Splits entries into per-day pieces in Vietnam time and lays overlapping ones side by side. */
function place(entries: ScheduleEntry[], days: string[]): Map<string, Placed[]> {
  const byDay = new Map<string, Placed[]>(days.map((d) => [d, []]));
  for (const e of entries) {
    const s = toMs(e.start);
    let en = toMs(e.end);
    if (!Number.isFinite(s)) continue;
    if (!Number.isFinite(en) || en <= s) en = s + 60_000;
    // Walk the days the slot touches (a slot may cross midnight).
    let cursor = s;
    while (cursor < en) {
      const local = new Date(cursor + VN_OFFSET_MS);
      const day = local.toISOString().slice(0, 10);
      const dayStartMs = Date.parse(`${day}T00:00:00Z`) - VN_OFFSET_MS;
      const dayEndMs = dayStartMs + 86_400_000;
      const pieceEnd = Math.min(en, dayEndMs);
      const list = byDay.get(day);
      if (list) list.push({ e, day, startMin: (cursor - dayStartMs) / 60_000, endMin: (pieceEnd - dayStartMs) / 60_000, lane: 0, lanes: 1 });
      cursor = pieceEnd;
    }
  }
  for (const list of byDay.values()) {
    list.sort((a, b) => a.startMin - b.startMin || b.endMin - a.endMin);
    // Greedy lanes inside clusters of overlapping slots.
    let cluster: Placed[] = [];
    let clusterEnd = -1;
    const flush = () => {
      const lanes = Math.max(1, ...cluster.map((p) => p.lane + 1));
      for (const p of cluster) p.lanes = lanes;
      cluster = [];
    };
    const laneEnds: number[] = [];
    for (const p of list) {
      if (p.startMin >= clusterEnd) {
        flush();
        laneEnds.length = 0;
      }
      let lane = laneEnds.findIndex((end) => end <= p.startMin);
      if (lane < 0) lane = laneEnds.length;
      laneEnds[lane] = p.endMin;
      p.lane = lane;
      cluster.push(p);
      clusterEnd = Math.max(clusterEnd, p.endMin);
    }
    flush();
  }
  return byDay;
}

function weekGrid(entries: ScheduleEntry[], monday: string): HTMLElement {
  const days = Array.from({ length: 7 }, (_, i) => addDays(monday, i));
  const placed = place(entries, days);
  const span = (DAY_END_H - DAY_START_H) * 60;
  const today = vnToday();
  const hours = Array.from({ length: DAY_END_H - DAY_START_H }, (_, i) => DAY_START_H + i);
  const timeCol = h(
    'div',
    { class: 'wk-times', 'aria-hidden': 'true' },
    h('div', { class: 'wk-dayhead' }),
    h('div', { class: 'wk-body' }, hours.map((hr) => h('div', { class: 'wk-hour', text: `${String(hr).padStart(2, '0')}:00` }))),
  );
  const cols = days.map((day) => {
    const items = placed.get(day) ?? [];
    const outside = items.filter((p) => p.endMin <= DAY_START_H * 60 || p.startMin >= DAY_END_H * 60);
    const inside = items.filter((p) => !outside.includes(p));
    const headId = `wk-${day}`;
    return h(
      'section',
      { class: `wk-day${day === today ? ' is-today' : ''}`, 'aria-labelledby': headId, testid: `wk-day-${day}` },
      h('h3', { class: 'wk-dayhead', id: headId }, h('span', { class: 'wk-long', text: dayName(day, 'long') }), h('span', { class: 'wk-short', text: dayName(day, 'short') })),
      h(
        'ol',
        { class: 'wk-body' },
        hours.map((hr) => h('li', { class: 'wk-line', 'aria-hidden': 'true', 'data-hour': String(hr) })),
        inside.map((p) => {
          const top = Math.max(0, p.startMin - DAY_START_H * 60);
          const bottom = Math.min(span, p.endMin - DAY_START_H * 60);
          const label = `${hhmm(p.startMin)}–${hhmm(p.endMin)} ${p.e.name}`;
          const block = h(
            'a',
            {
              class: `wk-slot prio-${p.e.priority}`,
              href: `#/schedule/${p.e.programme_id}`,
              testid: `wk-slot-${p.e.programme_id}-${day}`,
              title: `${label} · ${labelOf('priority', p.e.priority)}`,
              'aria-label': `${label}, ${labelOf('priority', p.e.priority)}`,
            },
            h('span', { class: 'wk-slot-time', text: hhmm(p.startMin) }),
            h('span', { class: 'wk-slot-name', text: p.e.name }),
          );
          block.style.top = `${(top / span) * 100}%`;
          block.style.height = `${Math.max(((bottom - top) / span) * 100, 2.2)}%`;
          block.style.left = `${(p.lane / p.lanes) * 100}%`;
          block.style.width = `${100 / p.lanes}%`;
          return h('li', { class: 'wk-item' }, block);
        }),
      ),
      outside.length
        ? h(
            'ul',
            { class: 'wk-outside' },
            outside.map((p) =>
              h('li', null, h('a', { href: `#/schedule/${p.e.programme_id}`, class: `prio-text-${p.e.priority}`, text: `${hhmm(p.startMin)} ${p.e.name}` })),
            ),
          )
        : null,
    );
  });
  return h('div', { class: 'wk-scroll' }, h('div', { class: 'wk-grid', testid: 'week-grid', 'data-week': monday }, timeCol, cols));
}

function programmeList(items: Programme[]): HTMLElement {
  return h(
    'table',
    { class: 'data-table programme-table', testid: 'programme-table' },
    h('thead', null, h('tr', null, [t('sch.col.name'), t('sch.col.when'), t('sch.col.priority'), t('sch.col.owner'), t('sch.col.enabled')].map((c) => h('th', { scope: 'col', text: c })))),
    h(
      'tbody',
      null,
      items.map((p) =>
        h(
          'tr',
          { testid: `programme-row-${p.id}` },
          h('td', { 'data-label': t('sch.col.name') }, h('a', { href: `#/schedule/${p.id}`, class: 'bulletin-link', testid: `programme-link-${p.id}`, text: p.name })),
          h('td', { 'data-label': t('sch.col.when'), text: `${describeRrule(p.rrule)} · ${p.start_time} · ${t('sch.minutes', { n: p.duration_minutes })}` }),
          h('td', { 'data-label': t('sch.col.priority') }, priorityBadge(p.priority)),
          h('td', { 'data-label': t('sch.col.owner') }, unitLabel(p.owner_unit)),
          h('td', { 'data-label': t('sch.col.enabled'), text: p.enabled ? t('common.yes') : t('common.no') }),
        ),
      ),
    ),
  );
}

export function scheduleView(): View {
  const userId = state.user?.id ?? 0;
  if (!saved || saved.user !== userId) saved = { user: userId, week: mondayOf(vnToday()), unit: null };
  const s = saved;
  const operate = canOperate();
  const msg = messageBox('schedule-msg');
  const title = h('h2', { class: 'wk-title', id: 'wk-title-id', testid: 'week-title', 'aria-live': 'polite' });
  const gridBox = h('div', { class: 'wk-box', testid: 'week-box' });
  const progBox = h('div', { class: 'table-wrap', testid: 'programmes-wrap' });
  const unit = unitPicker({ label: t('sch.unit'), testid: 'sch-unit', compact: true, initial: s.unit });

  let seq = 0;
  const load = async () => {
    const mine = ++seq;
    const monday = s.week;
    const sunday = addDays(monday, 6);
    title.textContent = t('sch.weekOf', { from: dayName(monday, 'short'), to: dayName(sunday, 'short'), year: monday.slice(0, 4) });
    replace(gridBox, spinner(t('app.loading')));
    msg.clear();
    const code = s.unit?.code;
    const [sched, progs] = await Promise.allSettled([deviceApi.schedule({ unit: code, from: monday, to: sunday }), deviceApi.programmes(code)]);
    if (mine !== seq) return;
    if (sched.status === 'fulfilled') {
      replace(
        gridBox,
        sched.value.items.length ? null : h('p', { class: 'hint', testid: 'week-empty', text: t('sch.weekEmpty') }),
        weekGrid(sched.value.items, monday),
      );
    } else {
      replace(gridBox, weekGrid([], monday));
      msg.error(errorText(sched.reason));
    }
    if (progs.status === 'fulfilled') {
      replace(progBox, progs.value.items.length ? programmeList(progs.value.items) : h('p', { class: 'empty', testid: 'programmes-empty', text: t('sch.noProgrammes') }));
    } else replace(progBox, h('p', { class: 'msg msg-error', text: errorText(progs.reason) }));
  };

  const go = (days: number | null) => {
    s.week = days === null ? mondayOf(vnToday()) : addDays(s.week, days);
    void load();
  };
  unit.onChange((u) => {
    s.unit = u;
    if (u || !unit.input.value.trim()) void load();
  });

  const nav = h(
    'div',
    { class: 'row-actions wk-nav', role: 'group', 'aria-label': t('sch.weekNav') },
    h('button', { type: 'button', class: 'btn', testid: 'week-prev', 'aria-label': t('sch.prevLong'), text: `‹ ${t('sch.prev')}`, on: { click: () => go(-7) } }),
    h('button', { type: 'button', class: 'btn', testid: 'week-today', text: t('sch.thisWeek'), on: { click: () => go(null) } }),
    h('button', { type: 'button', class: 'btn', testid: 'week-next', 'aria-label': t('sch.nextLong'), text: `${t('sch.next')} ›`, on: { click: () => go(7) } }),
  );
  const legend = h(
    'ul',
    { class: 'map-legend', 'aria-label': t('sch.legend') },
    ['normal', 'priority', 'emergency'].map((p) => h('li', null, h('span', { class: `legend-dot prio-bg-${p}`, 'aria-hidden': 'true' }), labelOf('priority', p))),
  );

  const el = h(
    'section',
    { class: 'page schedule-page' },
    h(
      'div',
      { class: 'page-head' },
      h('h1', { text: t('sch.title') }),
      operate ? h('a', { class: 'btn btn-primary', href: '#/schedule/new', testid: 'programme-new', text: t('sch.new') }) : null,
    ),
    operate ? null : h('p', { class: 'msg msg-info', text: t('dev.readOnly') }),
    h('div', { class: 'card filters' }, h('div', { class: 'filter-grid' }, unit.el)),
    msg.el,
    h('section', { class: 'card', 'aria-labelledby': 'wk-title-id' }, h('div', { class: 'card-head' }, title, nav), legend, gridBox),
    h('h2', { text: t('sch.programmes') }),
    progBox,
  );
  void load();
  return { el };
}
