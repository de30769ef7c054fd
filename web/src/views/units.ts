// Administrative units: lazily loaded tree, diacritic-insensitive search, unit details with the
// villages of a commune (and a form to add one), and the old-commune-code lookup.

import { api, ApiError } from '../api';
import { state, type View } from '../app';
import { unitSettingsPanel } from '../components/unitSettings';
import { busy, field, h, messageBox, replace } from '../dom';
import { errorText } from '../errors';
import { levelLabel, t } from '../i18n';
import { VILLAGE_TYPES, type Unit } from '../types';

// Kept across re-renders (language switch, navigation) for the signed-in user; reset on sign-in/out.
let roots: Unit[] | null = null;
const children = new Map<string, Unit[]>();
const expanded = new Set<string>();
let lastQuery = '';
let lastResults: Unit[] | null = null;
let selectedCode: string | undefined;

export function resetUnitsState(): void {
  roots = null;
  children.clear();
  expanded.clear();
  lastQuery = '';
  lastResults = null;
  selectedCode = undefined;
}

const hasChildren = (u: Unit) => u.level !== 'village';

function chain(u: Unit): string {
  return (u.ancestors ?? []).map((a) => a.name).join(' › ');
}

function unitMeta(u: Unit): string {
  return [levelLabel(u.level), u.type].filter(Boolean).join(' · ');
}

async function loadChildren(code: string, fresh = false): Promise<Unit[]> {
  const cached = children.get(code);
  if (cached && !fresh) return cached;
  const { items } = await api.unitChildren(code);
  children.set(code, items);
  return items;
}

export function unitsView(): View {
  // ---- tree ---------------------------------------------------------------------------------
  const nodes = new Map<string, { li: HTMLLIElement; unit: Unit; depth: number }>();
  const treeMsg = messageBox('tree-msg');
  const tree = h('ul', { class: 'tree', role: 'tree', testid: 'unit-tree', 'aria-label': t('units.tree') });

  const markSelected = () => {
    for (const [code, n] of nodes) {
      const btn = n.li.querySelector<HTMLElement>(':scope > .tree-row > .tree-label');
      if (code === selectedCode) {
        btn?.setAttribute('aria-current', 'true');
        n.li.setAttribute('aria-selected', 'true');
      } else {
        btn?.removeAttribute('aria-current');
        n.li.setAttribute('aria-selected', 'false');
      }
    }
  };

  const renderNode = (u: Unit, depth: number): HTMLLIElement => {
    const li = h('li', {
      role: 'treeitem',
      class: 'tree-node',
      testid: `tree-node-${u.code}`,
      'data-code': u.code,
      'aria-level': String(depth + 1),
      'aria-selected': 'false',
    });
    nodes.set(u.code, { li, unit: u, depth });
    fillNode(li, u, depth);
    return li;
  };

  const fillNode = (li: HTMLLIElement, u: Unit, depth: number) => {
    const open = expanded.has(u.code);
    const row = h('div', { class: 'tree-row', style: `--depth:${depth}` });
    if (hasChildren(u)) {
      li.setAttribute('aria-expanded', String(open));
      row.append(
        h('button', {
          type: 'button',
          class: 'tree-toggle',
          testid: `tree-toggle-${u.code}`,
          'aria-label': t(open ? 'units.collapse' : 'units.expand', { name: u.name }),
          'aria-expanded': String(open),
          text: open ? '▾' : '▸',
          on: { click: () => void toggle(u.code) },
        }),
      );
    } else {
      row.append(h('span', { class: 'tree-toggle tree-leaf', 'aria-hidden': 'true', text: '•' }));
    }
    row.append(
      h(
        'a',
        {
          class: u.navigable_only ? 'tree-label is-context' : 'tree-label',
          href: `#/units/${encodeURIComponent(u.code)}`,
          testid: `tree-select-${u.code}`,
        },
        h('span', { class: 'tree-name', text: u.name }),
        u.navigable_only ? h('span', { class: 'tree-note', text: ` (${t('units.contextOnly')})` }) : null,
      ),
    );
    const kids: HTMLElement[] = [];
    if (open) {
      const list = children.get(u.code);
      if (!list) kids.push(h('p', { class: 'tree-note', text: t('units.loadingChildren') }));
      else if (!list.length) kids.push(h('p', { class: 'tree-note tree-empty', text: t('units.noChildren') }));
      else kids.push(h('ul', { role: 'group' }, list.map((c) => renderNode(c, depth + 1))));
    }
    replace(li, row, kids);
    if (u.code === selectedCode) markSelected();
  };

  const refreshNode = (code: string) => {
    const n = nodes.get(code);
    if (n) fillNode(n.li, n.unit, n.depth);
  };

  const toggle = async (code: string) => {
    if (expanded.has(code)) {
      expanded.delete(code);
      refreshNode(code);
      return;
    }
    expanded.add(code);
    refreshNode(code);
    try {
      await loadChildren(code);
      treeMsg.clear();
    } catch (err) {
      expanded.delete(code);
      treeMsg.error(errorText(err));
    }
    refreshNode(code);
    nodes.get(code)?.li.querySelector<HTMLElement>(':scope > .tree-row > .tree-toggle')?.focus();
  };

  const renderTree = () => {
    nodes.clear();
    if (!roots) {
      replace(tree, h('li', { class: 'tree-note', text: t('app.loading') }));
      return;
    }
    if (!roots.length) {
      replace(tree, h('li', { class: 'tree-note', testid: 'tree-empty', text: t('units.treeEmpty') }));
      return;
    }
    replace(tree, roots.map((u) => renderNode(u, 0)));
    markSelected();
  };

  const loadTree = async () => {
    if (roots) return renderTree();
    renderTree();
    try {
      roots = (await api.unitRoots()).items;
      // Open a lone root, and walk down through context-only units that have a single child.
      let only = roots.length === 1 ? roots[0] : undefined;
      while (only && hasChildren(only) && only.level !== 'nation') {
        expanded.add(only.code);
        const kids = await loadChildren(only.code);
        only = only.navigable_only && kids.length === 1 ? kids[0] : undefined;
      }
      treeMsg.clear();
    } catch (err) {
      roots = roots ?? [];
      treeMsg.error(errorText(err));
    }
    renderTree();
  };

  // ---- search -------------------------------------------------------------------------------
  const q = h('input', {
    type: 'search',
    testid: 'unit-search',
    placeholder: t('units.searchPlaceholder'),
    autocomplete: 'off',
    spellcheck: 'false',
    value: lastQuery,
  });
  const searchBtn = h('button', { type: 'submit', class: 'btn', testid: 'unit-search-submit', text: t('units.searchButton') });
  const results = h('div', { class: 'search-results', testid: 'unit-search-results', 'aria-live': 'polite' });
  let searchSeq = 0;
  let searchTimer: number | undefined;

  const renderResults = () => {
    if (lastResults === null) return replace(results);
    if (!lastResults.length) {
      return replace(results, h('p', { class: 'empty', testid: 'unit-search-empty', text: t('units.searchEmpty') }));
    }
    replace(
      results,
      h('p', { class: 'results-count', testid: 'unit-search-count', text: t('units.searchResults', { count: lastResults.length }) }),
      h(
        'ul',
        { class: 'result-list' },
        lastResults.map((u) =>
          h(
            'li',
            { testid: `search-result-${u.code}` },
            h(
              'a',
              { class: 'result', href: `#/units/${encodeURIComponent(u.code)}` },
              h('span', { class: 'result-name', text: u.name }),
              h('span', { class: 'badge', text: unitMeta(u) }),
              h('span', { class: 'result-chain', text: chain(u) }),
            ),
          ),
        ),
      ),
    );
  };

  const runSearch = async () => {
    const text = q.value.trim();
    const mine = ++searchSeq;
    window.clearTimeout(searchTimer);
    lastQuery = q.value;
    if (!text) {
      lastResults = null;
      renderResults();
      return;
    }
    replace(results, h('p', { class: 'tree-note', testid: 'unit-search-busy', text: t('units.searching') }));
    try {
      const { items } = await api.searchUnits(text, { limit: 50 });
      if (mine !== searchSeq) return;
      lastResults = items;
      renderResults();
    } catch (err) {
      if (mine !== searchSeq) return;
      lastResults = null;
      replace(results, h('p', { class: 'msg msg-error', role: 'alert', testid: 'unit-search-error', text: errorText(err) }));
    }
  };

  q.addEventListener('input', () => {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => void runSearch(), 300);
  });
  const searchForm = h(
    'form',
    { class: 'search', role: 'search', testid: 'unit-search-form' },
    field(t('units.search'), q, t('units.searchHint')),
    searchBtn,
  );
  searchForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void runSearch();
  });

  // ---- legacy lookup ------------------------------------------------------------------------
  const legacyInput = h('input', { type: 'text', inputmode: 'numeric', testid: 'legacy-code', autocomplete: 'off', maxlength: '10' });
  const legacyBtn = h('button', { type: 'submit', class: 'btn', testid: 'legacy-submit', text: t('legacy.submit') });
  const legacyOut = h('div', { class: 'legacy-out', testid: 'legacy-result', 'aria-live': 'polite' });
  const legacyForm = h(
    'form',
    { class: 'legacy card', 'aria-labelledby': 'legacy-title' },
    h('h2', { id: 'legacy-title', text: t('legacy.title') }),
    h('div', { class: 'inline-form' }, field(t('legacy.code'), legacyInput), legacyBtn),
    legacyOut,
  );
  legacyForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const code = legacyInput.value.trim();
    if (!code) return replace(legacyOut, h('p', { class: 'msg msg-error', role: 'alert', text: t('legacy.required') }));
    void busy([legacyInput, legacyBtn], async () => {
      try {
        const res = await api.legacyCommune(code);
        if (!res.items.length) {
          replace(legacyOut, h('p', { class: 'empty', text: t('legacy.notFound', { code }) }));
          return;
        }
        replace(
          legacyOut,
          h(
            'ul',
            { class: 'legacy-list' },
            res.items.map((it) =>
              h(
                'li',
                null,
                h('span', { text: t('legacy.result', { old_name: it.old_name, old_district: it.old_district, old_province: it.old_province }) }),
                ' ',
                h('span', { class: 'muted', text: `${t('legacy.now')} ` }),
                h('a', { href: `#/units/${encodeURIComponent(it.new_code)}`, text: `${it.new_name} (${it.new_code})` }),
                it.note ? h('span', { class: 'badge', text: it.note }) : null,
              ),
            ),
          ),
        );
      } catch (err) {
        const text = err instanceof ApiError && err.status === 404 ? t('legacy.notFound', { code }) : errorText(err);
        replace(legacyOut, h('p', { class: err instanceof ApiError && err.status === 404 ? 'empty' : 'msg msg-error', text }));
      }
    });
  });

  // ---- detail -------------------------------------------------------------------------------
  const detail = h('section', { class: 'detail card', testid: 'unit-detail', 'aria-labelledby': 'detail-title' });
  let detailSeq = 0;

  const showHint = () =>
    replace(detail, h('h2', { id: 'detail-title', text: t('units.detail') }), h('p', { class: 'muted', text: t('units.selectHint') }));

  const villageForm = (commune: Unit, after: (u: Unit) => void): HTMLElement => {
    const name = h('input', { type: 'text', testid: 'village-name', placeholder: t('units.villageNamePlaceholder'), maxlength: '120', required: true });
    const types = state.meta?.village_types?.length ? state.meta.village_types : [...VILLAGE_TYPES];
    const type = h('select', { testid: 'village-type' }, types.map((v) => h('option', { value: v, text: v })));
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'village-submit', text: t('units.addVillageSubmit') });
    const msg = messageBox('village-msg');
    // Suggest the type from the name ("Tổ dân phố Đông Hải" → tổ dân phố).
    name.addEventListener('input', () => {
      const lower = name.value.trim().toLocaleLowerCase('vi');
      const match = [...types].sort((a, b) => b.length - a.length).find((v) => lower.startsWith(`${v} `));
      if (match) type.value = match;
    });
    const form = h(
      'form',
      { class: 'village-form', testid: 'village-form', novalidate: true },
      h('h3', { text: t('units.addVillage') }),
      h('div', { class: 'inline-form' }, field(t('units.villageName'), name), field(t('units.villageType'), type), submit),
      msg.el,
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      msg.clear();
      const n = name.value.trim();
      if (!n) {
        name.focus();
        return msg.error(t('units.nameRequired'));
      }
      void busy([name, type, submit], async () => {
        try {
          const u = await api.addVillage(commune.code, n, type.value);
          name.value = '';
          after(u);
          msg.success(t('units.villageAdded', { name: u.name, code: u.code }));
        } catch (err) {
          msg.error(errorText(err));
        }
      });
    });
    return form;
  };

  const renameForm = (u: Unit): HTMLElement => {
    const name = h('input', { type: 'text', testid: 'rename-name', value: u.name, maxlength: '120', required: true });
    const submit = h('button', { type: 'submit', class: 'btn', testid: 'rename-submit', text: t('units.renameSubmit') });
    const msg = messageBox('rename-msg');
    const form = h(
      'form',
      { class: 'village-form', novalidate: true },
      h('h3', { text: t('units.rename') }),
      h('div', { class: 'inline-form' }, field(t('units.name'), name), submit),
      msg.el,
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      msg.clear();
      const n = name.value.trim();
      if (!n) return msg.error(t('units.nameRequired'));
      void busy([name, submit], async () => {
        try {
          const updated = await api.renameUnit(u.code, n);
          if (u.parent_code) {
            children.delete(u.parent_code);
            if (expanded.has(u.parent_code)) await loadChildren(u.parent_code).catch(() => []);
            refreshNode(u.parent_code);
          }
          await showDetail(updated.code, t('units.renamed', { name: updated.name }));
        } catch (err) {
          msg.error(errorText(err));
        }
      });
    });
    return form;
  };

  const showDetail = async (code: string, notice?: string) => {
    const mine = ++detailSeq;
    replace(detail, h('h2', { id: 'detail-title', text: t('units.detail') }), h('p', { class: 'muted', text: t('app.loading') }));
    let u: Unit;
    try {
      u = await api.unit(code);
    } catch (err) {
      if (mine !== detailSeq) return;
      const text = err instanceof ApiError && err.status === 404 ? t('units.notFound', { code }) : errorText(err);
      replace(detail, h('h2', { id: 'detail-title', text: t('units.detail') }), h('p', { class: 'msg msg-error', role: 'alert', testid: 'unit-detail-error', text }));
      return;
    }
    if (mine !== detailSeq) return;
    const parent = u.ancestors?.length ? u.ancestors[u.ancestors.length - 1] : undefined;
    const row = (label: string, value: string, testid: string) => [h('dt', { text: label }), h('dd', { testid, text: value })];
    const parts: (HTMLElement | null)[] = [
      h('h2', { id: 'detail-title', testid: 'unit-detail-name', text: u.name }),
      notice ? h('p', { class: 'msg msg-success', role: 'status', text: notice }) : null,
      u.ancestors?.length ? h('p', { class: 'result-chain', testid: 'unit-detail-chain', text: chain(u) }) : null,
      h(
        'dl',
        { class: 'facts' },
        row(t('units.code'), u.code, 'unit-detail-code'),
        row(t('units.type'), u.type, 'unit-detail-type'),
        row(t('units.level'), levelLabel(u.level), 'unit-detail-level'),
        row(t('units.parent'), parent ? `${parent.name} (${parent.code})` : u.parent_code || '—', 'unit-detail-parent'),
      ),
      u.can_admin ? h('p', { class: 'badge badge-admin', testid: 'unit-can-admin', text: t('units.canAdmin') }) : null,
    ];
    replace(detail, parts);

    if (u.level === 'commune' && !u.navigable_only) {
      const villagesBox = h('div', { class: 'villages', testid: 'village-list' });
      detail.append(villagesBox);
      const renderVillages = (items: Unit[]) =>
        replace(
          villagesBox,
          h('h3', { text: t('units.villages', { count: items.length }) }),
          items.length
            ? h(
                'ul',
                { class: 'village-items' },
                items.map((v) =>
                  h(
                    'li',
                    { testid: `village-${v.code}` },
                    h('a', { href: `#/units/${encodeURIComponent(v.code)}`, text: v.name }),
                    h('span', { class: 'muted', text: ` · ${v.type} · ${v.code}` }),
                  ),
                ),
              )
            : h('p', { class: 'muted', testid: 'village-empty', text: t('units.noVillages') }),
        );
      try {
        const items = await loadChildren(u.code, true);
        if (mine !== detailSeq) return;
        renderVillages(items);
        refreshNode(u.code);
      } catch (err) {
        if (mine !== detailSeq) return;
        replace(villagesBox, h('p', { class: 'msg msg-error', role: 'alert', text: errorText(err) }));
      }
      if (u.can_admin) {
        detail.append(
          villageForm(u, (added) => {
            const list = [...(children.get(u.code) ?? []), added].sort((a, b) => a.name.localeCompare(b.name, 'vi'));
            children.set(u.code, list);
            renderVillages(list);
            refreshNode(u.code);
          }),
        );
      }
    } else if (u.level === 'village' && u.can_admin) {
      detail.append(renameForm(u));
    }
    if (mine === detailSeq && u.can_admin && !u.navigable_only && u.level !== 'village') {
      detail.append(unitSettingsPanel(u));
    }
  };

  const el = h(
    'section',
    { class: 'page units-page' },
    h('h1', { text: t('units.title') }),
    h(
      'div',
      { class: 'units-grid' },
      h(
        'div',
        { class: 'units-side' },
        h('div', { class: 'card' }, searchForm, results),
        h('div', { class: 'card tree-card' }, h('h2', { text: t('units.tree') }), treeMsg.el, tree),
        legacyForm,
      ),
      detail,
    ),
  );

  renderResults();
  void loadTree();

  return {
    el,
    update(param) {
      selectedCode = param;
      markSelected();
      if (param) {
        void showDetail(param);
        if (window.matchMedia('(max-width: 900px)').matches) detail.scrollIntoView({ block: 'start' });
      } else showHint();
    },
  };
}

