// Feedback statistics (#/feedback/stats): for a date range, the totals (received, answered, share
// answered on time, overdue), bar charts by category and by commune, and the table of rows.

import { feedbackApi } from '../api';
import { type View } from '../app';
import { barChart } from '../components/barChart';
import { spinner } from '../components/bulletinBits';
import { addDays, fmtNumber, vnToday } from '../components/deviceBits';
import { fbErrorText, loadServices, serviceLabel } from '../components/feedbackBits';
import { field, h, messageBox, replace } from '../dom';
import { t } from '../i18n';
import type { FeedbackCounts, FeedbackService, FeedbackStats, FeedbackStatsRow } from '../types';

function pct(part: number, whole: number): string {
  return whole > 0 ? `${fmtNumber(Math.round((part / whole) * 1000) / 10)} %` : '—';
}

function group(rows: FeedbackStatsRow[], key: (r: FeedbackStatsRow) => string, name: (r: FeedbackStatsRow) => string) {
  const out = new Map<string, FeedbackCounts & { name: string }>();
  for (const r of rows) {
    const k = key(r);
    const g = out.get(k) ?? { name: name(r), received: 0, answered: 0, answered_on_time: 0, overdue: 0 };
    g.received += r.received;
    g.answered += r.answered;
    g.answered_on_time += r.answered_on_time;
    g.overdue += r.overdue;
    out.set(k, g);
  }
  return [...out.entries()].map(([k, g]) => ({ key: k, ...g })).sort((a, b) => b.received - a.received || a.name.localeCompare(b.name, 'vi'));
}

export function feedbackStatsView(): View {
  const msg = messageBox('fbs-msg');
  const from = h('input', { type: 'date', testid: 'fbs-from', value: addDays(vnToday(), -29) });
  const to = h('input', { type: 'date', testid: 'fbs-to', value: vnToday() });
  const apply = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'fbs-apply', text: t('fbs.apply') });
  const out = h('div', { testid: 'fbs-out', 'aria-live': 'polite' });
  let services: FeedbackService[] = [];
  let seq = 0;

  const card = (key: string, label: string, value: string, extra?: string) =>
    h(
      'div',
      { class: `count-card fbs-${key}`, testid: `fbs-${key}` },
      h('span', { class: 'count-value', testid: `fbs-${key}-value`, text: value }),
      h('span', { class: 'count-label', text: label }),
      extra ? h('span', { class: 'hint', text: extra }) : null,
    );

  const render = (s: FeedbackStats) => {
    const total = s.total;
    const svcName = (r: FeedbackStatsRow) => r.service_name || serviceLabel(r.service_code, services);
    const byService = group(s.rows, (r) => r.service_code, svcName);
    const byCommune = group(s.rows, (r) => r.commune_code, (r) => r.commune_name || r.commune_code);
    const chart = (testid: string, caption: string, list: ReturnType<typeof group>) =>
      list.length
        ? barChart({
            testid,
            caption,
            bars: list.slice(0, 30).map((g) => ({
              key: g.key,
              label: g.name,
              value: g.received,
              text: t('fbs.bar', { received: g.received, answered: g.answered }),
            })),
          })
        : h('p', { class: 'empty', text: t('fbs.empty') });
    const sortedRows = [...s.rows].sort((a, b) => b.received - a.received || (a.commune_name || '').localeCompare(b.commune_name || '', 'vi'));
    const cols = [t('fbs.col.commune'), t('fbs.col.category'), t('fbs.col.received'), t('fbs.col.answered'), t('fbs.col.onTime'), t('fbs.col.overdue')];
    replace(
      out,
      h(
        'div',
        { class: 'count-cards', testid: 'fbs-totals' },
        card('received', t('fbs.received'), fmtNumber(total.received)),
        card('answered', t('fbs.answered'), fmtNumber(total.answered)),
        card('ontime', t('fbs.onTime'), pct(total.answered_on_time, total.answered), t('fbs.onTimeOf', { n: total.answered_on_time, of: total.answered })),
        card('overdue', t('fbs.overdue'), fmtNumber(total.overdue)),
      ),
      h(
        'div',
        { class: 'fbs-charts' },
        h('section', { class: 'card', 'aria-labelledby': 'fbs-cat-title' }, h('h2', { id: 'fbs-cat-title', text: t('fbs.byCategory') }), chart('fbs-chart-category', t('fbs.chartCaption'), byService)),
        h('section', { class: 'card', 'aria-labelledby': 'fbs-com-title' }, h('h2', { id: 'fbs-com-title', text: t('fbs.byCommune') }), chart('fbs-chart-commune', t('fbs.chartCaption'), byCommune)),
      ),
      h('h2', { text: t('fbs.tableTitle') }),
      s.rows.length
        ? h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'data-table fbs-table', testid: 'fbs-table' },
              h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col', text: c })))),
              h(
                'tbody',
                null,
                sortedRows.map((r) =>
                  h(
                    'tr',
                    { testid: `fbs-row-${r.commune_code}-${r.service_code}` },
                    h('td', { 'data-label': t('fbs.col.commune'), text: r.commune_name || r.commune_code }),
                    h('td', { 'data-label': t('fbs.col.category'), text: svcName(r) }),
                    h('td', { 'data-label': t('fbs.col.received'), class: 'num', text: fmtNumber(r.received) }),
                    h('td', { 'data-label': t('fbs.col.answered'), class: 'num', text: fmtNumber(r.answered) }),
                    h('td', { 'data-label': t('fbs.col.onTime'), class: 'num', text: pct(r.answered_on_time, r.answered) }),
                    h('td', { 'data-label': t('fbs.col.overdue'), class: 'num', text: fmtNumber(r.overdue) }),
                  ),
                ),
              ),
            ),
          )
        : h('p', { class: 'empty', testid: 'fbs-empty', text: t('fbs.empty') }),
    );
  };

  const load = async () => {
    const mine = ++seq;
    msg.clear();
    if (from.value && to.value && from.value > to.value) {
      msg.error(t('fbs.badRange'));
      return;
    }
    replace(out, spinner(t('app.loading')));
    try {
      const [s, svc] = await Promise.all([
        feedbackApi.stats({ from: from.value || undefined, to: to.value || undefined }),
        loadServices().catch(() => [] as FeedbackService[]),
      ]);
      if (mine !== seq) return;
      services = svc;
      render(s);
    } catch (err) {
      if (mine !== seq) return;
      replace(out);
      msg.error(fbErrorText(err));
    }
  };

  const form = h(
    'form',
    { class: 'card filters', role: 'search', 'aria-label': t('fbs.filters'), testid: 'fbs-filters' },
    h('div', { class: 'filter-grid' }, field(t('fbs.from'), from), field(t('fbs.to'), to)),
    h('div', { class: 'actions' }, apply),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void load();
  });

  const el = h(
    'section',
    { class: 'page fbs-page' },
    h('p', { class: 'back' }, h('a', { href: '#/feedback', testid: 'fbs-back', text: t('fb.back') })),
    h('h1', { text: t('fbs.title') }),
    form,
    msg.el,
    out,
  );
  void load();
  return { el };
}
