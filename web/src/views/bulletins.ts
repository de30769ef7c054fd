// Bulletin list (bản tin): filters (status, priority, category, text), newest first, paged with
// before_id; a "new bulletin" button for editors.

import { api } from '../api';
import { state, type View } from '../app';
import {
  bulletinHref,
  categoryLabel,
  hasRoleSomewhere,
  priorityBadge,
  spinner,
  statusBadge,
  timeEl,
  unitLabel,
} from '../components/bulletinBits';
import { busy, field, h, messageBox, replace } from '../dom';
import { errorText } from '../errors';
import { labelOf, lang, t } from '../i18n';
import { BULLETIN_STATUSES, PRIORITIES, type Bulletin, type BulletinQuery } from '../types';

const PAGE = 50;

// Filters survive navigation (list → detail → back) for the signed-in user.
let filters: { status: string; priority: string; category: string; q: string } = { status: '', priority: '', category: '', q: '' };

export function resetBulletinListState(): void {
  filters = { status: '', priority: '', category: '', q: '' };
}

function select(testid: string, options: { value: string; label: string }[], value: string): HTMLSelectElement {
  const el = h(
    'select',
    { testid },
    h('option', { value: '', text: t('bulletins.any') }),
    options.map((o) => h('option', { value: o.value, text: o.label })),
  );
  el.value = value;
  return el;
}

/** One table of bulletins (also used by the library). */
export function bulletinTable(items: Bulletin[], opts: { testid: string; showStatus?: boolean; extra?: (b: Bulletin) => Node | null }): HTMLElement {
  const showStatus = opts.showStatus !== false;
  const head = [
    t('bulletins.colTitle'),
    t('bulletins.colCategory'),
    t('bulletins.colPriority'),
    showStatus ? t('bulletins.colStatus') : null,
    t('bulletins.colOwner'),
    t('bulletins.colUpdated'),
  ].filter((x): x is string => x !== null);
  return h(
    'table',
    { class: 'data-table bulletin-table', testid: opts.testid },
    h('thead', null, h('tr', null, head.map((x) => h('th', { scope: 'col', text: x })))),
    h(
      'tbody',
      null,
      items.map((b) =>
        h(
          'tr',
          { testid: `bulletin-row-${b.id}`, class: b.priority === 'emergency' ? 'is-emergency' : undefined },
          h(
            'td',
            { 'data-label': t('bulletins.colTitle') },
            h('a', { href: bulletinHref(b), class: 'bulletin-link', testid: `bulletin-link-${b.id}`, text: b.title || t('bulletins.noTitle') }),
            b.summary ? h('span', { class: 'row-summary', text: b.summary }) : null,
            opts.extra?.(b) ?? null,
          ),
          h('td', { 'data-label': t('bulletins.colCategory'), text: categoryLabel(b.category) }),
          h('td', { 'data-label': t('bulletins.colPriority') }, priorityBadge(b.priority, `bulletin-priority-${b.id}`)),
          showStatus ? h('td', { 'data-label': t('bulletins.colStatus') }, statusBadge(b.status, `bulletin-status-${b.id}`)) : null,
          h('td', { 'data-label': t('bulletins.colOwner') }, unitLabel(b.owner_unit)),
          h('td', { 'data-label': t('bulletins.colUpdated') }, timeEl(b.updated_at)),
        ),
      ),
    ),
  );
}

export function bulletinsView(): View {
  const msg = messageBox('bulletins-msg');
  const box = h('div', { class: 'table-wrap', testid: 'bulletins-table-wrap', 'aria-live': 'polite' });
  const moreBox = h('div', { class: 'more' });
  const categories = state.meta?.categories ?? [];

  const status = select('filter-status', BULLETIN_STATUSES.map((s) => ({ value: s, label: labelOf('status', s) })), filters.status);
  const priority = select('filter-priority', PRIORITIES.map((p) => ({ value: p, label: labelOf('priority', p) })), filters.priority);
  const category = select(
    'filter-category',
    categories.map((c) => ({ value: c.code, label: lang() === 'vi' ? c.name_vi : c.name_en })),
    filters.category,
  );
  const q = h('input', { type: 'search', testid: 'filter-q', placeholder: t('bulletins.filterQPlaceholder'), value: filters.q, autocomplete: 'off' });
  const apply = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'filter-apply', text: t('bulletins.apply') });
  const reset = h('button', { type: 'button', class: 'btn btn-ghost', testid: 'filter-reset', text: t('bulletins.reset') });

  let items: Bulletin[] = [];
  let seq = 0;

  const query = (): BulletinQuery => ({
    status: filters.status || undefined,
    priority: filters.priority || undefined,
    category: filters.category || undefined,
    q: filters.q.trim() || undefined,
    limit: PAGE,
  });

  const render = (hasMore: boolean) => {
    if (!items.length) {
      replace(box, h('p', { class: 'empty', testid: 'bulletins-empty', text: t('bulletins.empty') }));
    } else {
      replace(box, bulletinTable(items, { testid: 'bulletins-table' }));
    }
    if (hasMore) {
      const more = h('button', { type: 'button', class: 'btn', testid: 'bulletins-more', text: t('bulletins.more') });
      more.addEventListener('click', () => void busy([more], () => load(true)));
      replace(moreBox, more);
    } else replace(moreBox);
  };

  const load = async (append: boolean) => {
    const mine = ++seq;
    msg.clear();
    if (!append) replace(box, spinner(t('app.loading')));
    try {
      const last = items[items.length - 1];
      const res = await api.bulletins({ ...query(), before_id: append && last ? last.id : undefined });
      if (mine !== seq) return;
      items = append ? [...items, ...res.items] : res.items;
      render(res.items.length >= PAGE);
    } catch (err) {
      if (mine !== seq) return;
      if (!append) replace(box);
      msg.error(errorText(err));
    }
  };

  const form = h(
    'form',
    { class: 'card filters', testid: 'bulletin-filters', role: 'search', 'aria-label': t('bulletins.filters') },
    h(
      'div',
      { class: 'filter-grid' },
      field(t('bulletins.filterStatus'), status),
      field(t('bulletins.filterPriority'), priority),
      field(t('bulletins.filterCategory'), category),
      field(t('bulletins.filterQ'), q),
    ),
    h('div', { class: 'actions' }, apply, reset),
  );
  const readFilters = () => {
    filters = { status: status.value, priority: priority.value, category: category.value, q: q.value };
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    readFilters();
    items = [];
    void load(false);
  });
  for (const s of [status, priority, category]) {
    s.addEventListener('change', () => {
      readFilters();
      items = [];
      void load(false);
    });
  }
  reset.addEventListener('click', () => {
    resetBulletinListState();
    status.value = priority.value = category.value = q.value = '';
    items = [];
    void load(false);
  });

  const canWrite = hasRoleSomewhere(state.user, 'editor');
  const el = h(
    'section',
    { class: 'page bulletins-page' },
    h(
      'div',
      { class: 'page-head' },
      h('h1', { text: t('bulletins.title') }),
      canWrite ? h('a', { class: 'btn btn-primary', href: '#/bulletins/new', testid: 'bulletin-new', text: t('bulletins.new') }) : null,
    ),
    form,
    msg.el,
    box,
    moreBox,
  );
  void load(false);
  return { el };
}
