// Emergency alerts (#/alerts): the CAP alerts received from trusted sources, newest first, with a
// state filter; those waiting for an operator's approval are highlighted. Refreshes every 10 s
// like the devices dashboard. Admins get a link to the trusted senders (#/alerts/sources).

import { alertApi } from '../api';
import { isAdmin, state, type View } from '../app';
import { alertHref, alertStateBadge, alertTitle, canSeeAlerts, capLabel, cell, notActualBadge, severityBadge, unixTimeEl, urgencyCertainty } from '../components/alertBits';
import { spinner } from '../components/bulletinBits';
import { fmtNumber } from '../components/deviceBits';
import { autoRefresh, field, h, messageBox, replace } from '../dom';
import { errorText } from '../errors';
import { t } from '../i18n';
import { ALERT_STATES, type Alert, type AlertState } from '../types';

const REFRESH_MS = 10_000;
const PAGE = 50;

// The filter survives list → detail → back, for the same signed-in user.
let saved: { user: number; state: AlertState | '' } | null = null;

function filterFor(userId: number) {
  if (!saved || saved.user !== userId) saved = { user: userId, state: '' };
  return saved;
}

export function alertTable(items: Alert[], testid: string): HTMLElement {
  const cols = [
    t('alert.col.received'),
    t('alert.col.sender'),
    t('alert.col.event'),
    t('alert.col.headline'),
    t('alert.col.severity'),
    t('alert.col.state'),
    t('alert.col.devices'),
  ];
  return h(
    'table',
    { class: 'data-table alert-table', testid },
    h('caption', { class: 'sr-only', text: t('alert.tableCaption') }),
    h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col', text: c })))),
    h(
      'tbody',
      null,
      items.map((a) => {
        const flag = notActualBadge(a);
        return h(
          'tr',
          { testid: `alert-row-${a.id}`, 'data-state': a.state, class: a.state === 'pending' ? 'is-emergency is-pending' : undefined },
          cell(cols[0], null, unixTimeEl(a.received_at)),
          cell(cols[1], null, h('span', { text: a.sender_name || a.sender }), a.sender_name ? h('span', { class: 'row-summary mono', text: a.sender }) : null),
          cell(cols[2], null, a.event || '—'),
          cell(
            cols[3],
            null,
            h('a', { href: alertHref(a), class: 'bulletin-link', testid: `alert-link-${a.id}`, text: alertTitle(a) }),
            flag ? [' ', flag] : null,
          ),
          cell(cols[4], null, severityBadge(a.severity, `alert-severity-${a.id}`), h('span', { class: 'row-summary', text: urgencyCertainty(a) })),
          cell(cols[5], null, alertStateBadge(a.state, `alert-state-${a.id}`)),
          cell(cols[6], { class: 'num', testid: `alert-devices-${a.id}` }, fmtNumber(a.devices)),
        );
      }),
    ),
  );
}

export function alertsView(): View {
  const f = filterFor(state.user?.id ?? 0);
  const msg = messageBox('alerts-msg');
  const stateSel = h(
    'select',
    { testid: 'alert-filter-state' },
    h('option', { value: '', text: t('alert.filter.all') }),
    ALERT_STATES.map((s) => h('option', { value: s, text: capLabel('state', s) })),
  );
  stateSel.value = f.state;
  const tableBox = h('div', { class: 'table-wrap', testid: 'alerts-table-wrap' });
  const updated = h('p', { class: 'hint refresh-note', testid: 'alerts-updated', 'aria-live': 'off' });
  const more = h('button', { type: 'button', class: 'btn', testid: 'alerts-more', text: t('alert.more'), hidden: true });

  let shown = PAGE;
  let seq = 0;
  let first = true;

  /** Every page shown so far (refreshes keep "show more" pages), without duplicates. */
  const fetchShown = async (): Promise<{ items: Alert[]; full: boolean }> => {
    const pages = await Promise.all(
      Array.from({ length: Math.ceil(shown / PAGE) }, (_, i) => alertApi.list({ state: f.state || undefined, limit: PAGE, offset: i * PAGE })),
    );
    // An alert arriving between two page requests shifts the pages: keep its first copy only.
    const byId = new Map<number, Alert>();
    for (const a of pages.flatMap((p) => p.items)) if (!byId.has(a.id)) byId.set(a.id, a);
    return { items: [...byId.values()], full: (pages[pages.length - 1]?.items.length ?? 0) === PAGE };
  };

  const load = async () => {
    const mine = ++seq;
    if (first) replace(tableBox, spinner(t('app.loading')));
    try {
      const { items, full } = await fetchShown();
      if (mine !== seq) return;
      msg.clear();
      first = false;
      const focused = tableBox.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.testid : undefined;
      replace(
        tableBox,
        items.length ? alertTable(items, 'alerts-table') : h('p', { class: 'empty', testid: 'alerts-empty', text: f.state ? t('alert.emptyState') : t('alert.empty') }),
      );
      if (focused) tableBox.querySelector<HTMLElement>(`[data-testid="${CSS.escape(focused)}"]`)?.focus();
      more.hidden = !full;
      updated.textContent = t('alert.updated', { time: new Date().toLocaleTimeString(undefined, { hour12: false }) });
    } catch (err) {
      if (mine !== seq) return;
      if (first) replace(tableBox);
      msg.error(errorText(err));
    }
  };
  const reload = autoRefresh(() => el.isConnected, load, REFRESH_MS);

  stateSel.addEventListener('change', () => {
    f.state = stateSel.value as AlertState | '';
    shown = PAGE;
    first = true;
    reload();
  });
  more.addEventListener('click', () => {
    shown += PAGE;
    reload();
  });

  const el = h(
    'section',
    { class: 'page alerts-page' },
    h(
      'div',
      { class: 'page-head' },
      h('h1', { text: t('alert.title') }),
      h(
        'div',
        { class: 'row-actions' },
        // Everyone who sees the alerts operates devices (admins, station operators): they may issue.
        canSeeAlerts(state.user) ? h('a', { class: 'btn btn-danger', href: '#/alerts/new', testid: 'alert-issue-link', text: t('alertnew.link') }) : null,
        isAdmin(state.user) ? h('a', { class: 'btn', href: '#/alerts/sources', testid: 'alert-sources-link', text: t('alertsrc.link') }) : null,
      ),
    ),
    h('p', { class: 'hint alerts-intro', text: t('alert.intro') }),
    h(
      'form',
      { class: 'card filters', role: 'search', 'aria-label': t('alert.filters'), testid: 'alert-filters', on: { submit: (ev) => ev.preventDefault() } },
      h('div', { class: 'filter-grid' }, field(t('alert.filter.state'), stateSel)),
    ),
    msg.el,
    updated,
    tableBox,
    h('div', { class: 'more' }, more),
  );
  reload();
  return { el };
}
