// Feedback inbox (#/feedback): the citizen feedback the user can see, newest first, with filters
// (status, category, area, text, overdue only), a "waiting for moderation" tab, paging with
// after_id, and the staff entry button ("Nhập phản ánh").

import { feedbackApi } from '../api';
import { type View } from '../app';
import { spinner, unitLabel } from '../components/bulletinBits';
import {
  answerBadge,
  canEnterFeedback,
  deadlineBadge,
  escalationFlag,
  fbStatusBadge,
  fbStatusLabel,
  feedbackHref,
  feedbackTitle,
  loadServices,
  serviceLabel,
  serviceOptions,
  fbErrorText,
} from '../components/feedbackBits';
import { unitPicker } from '../components/unitPicker';
import { busy, field, h, messageBox, replace, uid } from '../dom';
import { t } from '../i18n';
import { FEEDBACK_STATUSES, type Feedback, type FeedbackQuery, type FeedbackService, type UnitRef } from '../types';

const PAGE = 50;
const OPEN = 'received,assigned';

type Tab = 'all' | 'moderation';

// Filters survive navigation (inbox → detail → back) for the signed-in user.
let filters: { tab: Tab; status: string; service: string; area: UnitRef | null; q: string; overdue: boolean } = fresh();

function fresh(): typeof filters {
  return { tab: 'all', status: '', service: '', area: null, q: '', overdue: false };
}

export function resetFeedbackListState(): void {
  filters = fresh();
}

export function feedbackTable(items: Feedback[], services: FeedbackService[], testid: string): HTMLElement {
  const cols = [t('fb.col.feedback'), t('fb.col.category'), t('fb.col.commune'), t('fb.col.status'), t('fb.col.answer'), t('fb.col.deadline')];
  return h(
    'table',
    { class: 'data-table fb-table', testid },
    h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col', text: c })))),
    h(
      'tbody',
      null,
      items.map((f) =>
        h(
          'tr',
          { testid: `fb-row-${f.id}`, 'data-status': f.status, class: f.deadline_state === 'overdue' ? 'is-emergency' : undefined },
          h(
            'td',
            { 'data-label': t('fb.col.feedback') },
            h('span', { class: 'fb-id mono', text: `#${f.id}` }),
            ' ',
            h('a', { href: feedbackHref(f), class: 'bulletin-link', testid: `fb-link-${f.id}`, text: feedbackTitle(f) }),
            f.escalation ? [' ', escalationFlag(f, `fb-escalated-${f.id}`)] : null,
          ),
          h('td', { 'data-label': t('fb.col.category'), text: serviceLabel(f.service_code, services) }),
          h('td', { 'data-label': t('fb.col.commune') }, f.commune_code ? unitLabel(f.commune_code) : '—'),
          h('td', { 'data-label': t('fb.col.status') }, fbStatusBadge(f.status, `fb-status-${f.id}`)),
          h('td', { 'data-label': t('fb.col.answer') }, answerBadge(f.answer_status, `fb-answer-${f.id}`)),
          h('td', { 'data-label': t('fb.col.deadline') }, deadlineBadge(f, `fb-deadline-${f.id}`)),
        ),
      ),
    ),
  );
}

export function feedbackView(): View {
  const msg = messageBox('fb-msg');
  const box = h('div', { class: 'table-wrap', testid: 'fb-table-wrap', 'aria-live': 'polite' });
  const moreBox = h('div', { class: 'more' });
  let services: FeedbackService[] = [];

  const status = h(
    'select',
    { testid: 'fb-filter-status' },
    h('option', { value: '', text: t('fb.filter.anyStatus') }),
    h('option', { value: OPEN, text: t('fb.filter.open') }),
    FEEDBACK_STATUSES.filter((s) => s !== 'moderation').map((s) => h('option', { value: s, text: fbStatusLabel(s) })),
  );
  status.value = filters.status;
  const service = h('select', { testid: 'fb-filter-service' }, h('option', { value: '', text: t('fb.filter.anyCategory') }));
  const area = unitPicker({ label: t('fb.filter.area'), testid: 'fb-filter-area', compact: true, initial: filters.area });
  const q = h('input', { type: 'search', testid: 'fb-filter-q', value: filters.q, autocomplete: 'off', placeholder: t('fb.filter.qPlaceholder') });
  const overdueId = uid('overdue');
  const overdue = h('input', { type: 'checkbox', id: overdueId, testid: 'fb-filter-overdue', checked: filters.overdue });
  const apply = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'fb-filter-apply', text: t('fb.filter.apply') });
  const reset = h('button', { type: 'button', class: 'btn btn-ghost', testid: 'fb-filter-reset', text: t('fb.filter.reset') });

  const tabs = h('div', { class: 'fb-tabs', role: 'tablist', 'aria-label': t('fb.tabs') });
  const tabBtn = (tab: Tab, text: string) => {
    const b = h('button', { type: 'button', role: 'tab', class: 'fb-tab', testid: `fb-tab-${tab}`, text });
    b.addEventListener('click', () => {
      if (filters.tab === tab) return;
      filters.tab = tab;
      syncTabs();
      items = [];
      void load(false);
    });
    return b;
  };
  const tabAll = tabBtn('all', t('fb.tab.all'));
  const tabMod = tabBtn('moderation', t('fb.tab.moderation'));
  tabs.append(tabAll, tabMod);
  const syncTabs = () => {
    for (const [b, tab] of [
      [tabAll, 'all'],
      [tabMod, 'moderation'],
    ] as const) {
      b.setAttribute('aria-selected', String(filters.tab === tab));
      b.classList.toggle('is-active', filters.tab === tab);
    }
    status.disabled = filters.tab === 'moderation';
  };
  syncTabs();

  let items: Feedback[] = [];
  let nextAfter: number | null = null;
  let seq = 0;

  const query = (): FeedbackQuery => ({
    status: filters.tab === 'moderation' ? 'moderation' : filters.status || undefined,
    service: filters.service || undefined,
    area: filters.area?.code,
    q: filters.q.trim() || undefined,
    overdue: filters.overdue ? 1 : undefined,
    limit: PAGE,
  });

  const render = () => {
    if (!items.length) {
      replace(box, h('p', { class: 'empty', testid: 'fb-empty', text: filters.tab === 'moderation' ? t('fb.emptyModeration') : t('fb.empty') }));
    } else {
      replace(box, feedbackTable(items, services, 'fb-table'));
    }
    if (nextAfter) {
      const more = h('button', { type: 'button', class: 'btn', testid: 'fb-more', text: t('fb.more') });
      more.addEventListener('click', () => void busy([more], () => load(true)));
      replace(moreBox, more);
    } else replace(moreBox);
  };

  const load = async (append: boolean) => {
    const mine = ++seq;
    msg.clear();
    if (!append) {
      nextAfter = null;
      replace(box, spinner(t('app.loading')));
      replace(moreBox);
    }
    try {
      const res = await feedbackApi.list({ ...query(), after_id: append && nextAfter ? nextAfter : undefined });
      if (mine !== seq) return;
      items = append ? [...items, ...res.items] : res.items;
      nextAfter = res.next_after_id ?? null;
      box.dataset.count = String(items.length);
      render();
    } catch (err) {
      if (mine !== seq) return;
      if (!append) replace(box);
      msg.error(fbErrorText(err));
    }
  };

  const readFilters = () => {
    filters = { ...filters, status: status.value, service: service.value, area: area.value(), q: q.value, overdue: overdue.checked };
  };
  const form = h(
    'form',
    { class: 'card filters', testid: 'fb-filters', role: 'search', 'aria-label': t('fb.filters') },
    h(
      'div',
      { class: 'filter-grid' },
      field(t('fb.filter.status'), status),
      field(t('fb.filter.category'), service),
      area.el,
      field(t('fb.filter.q'), q),
    ),
    h('div', { class: 'check-row' }, overdue, h('label', { for: overdueId, text: t('fb.filter.overdue') })),
    h('div', { class: 'actions' }, apply, reset),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    readFilters();
    void load(false);
  });
  for (const c of [status, service, overdue]) {
    c.addEventListener('change', () => {
      readFilters();
      void load(false);
    });
  }
  area.onChange(() => {
    readFilters();
    void load(false);
  });
  reset.addEventListener('click', () => {
    const tab = filters.tab;
    filters = { ...fresh(), tab };
    status.value = service.value = q.value = '';
    overdue.checked = false;
    area.set(null);
    void load(false);
  });

  const el = h(
    'section',
    { class: 'page fb-page' },
    h(
      'div',
      { class: 'page-head' },
      h('h1', { text: t('fb.title') }),
      h(
        'div',
        { class: 'actions' },
        h('a', { class: 'btn', href: '#/feedback/stats', testid: 'fb-stats-link', text: t('fb.statsLink') }),
        canEnterFeedback() ? h('a', { class: 'btn btn-primary', href: '#/feedback/new', testid: 'fb-new', text: t('fb.new') }) : null,
      ),
    ),
    tabs,
    form,
    msg.el,
    box,
    moreBox,
  );

  void loadServices().then(
    (list) => {
      services = list;
      replace(service, h('option', { value: '', text: t('fb.filter.anyCategory') }), serviceOptions(list, { includeInactive: true }));
      service.value = filters.service;
      if (items.length) render();
    },
    () => {
      /* categories unavailable: codes are shown instead */
    },
  );
  void load(false);
  return { el };
}
