// Source library (thư viện nguồn): bulletins published from above (province, central level) for
// one of the user's units. Read-only; opens the bulletin detail.

import { api } from '../api';
import { navigate, state, type View } from '../app';
import { fmtTime, spinner } from '../components/bulletinBits';
import { field, h, messageBox, replace } from '../dom';
import { errorText } from '../errors';
import { t } from '../i18n';
import type { Unit } from '../types';
import { bulletinTable } from './bulletins';

let roots: Unit[] | null = null;

export function resetLibraryState(): void {
  roots = null;
}

export function libraryView(): View {
  const msg = messageBox('library-msg');
  const unitBox = h('div', { class: 'library-unit' });
  const list = h('div', { class: 'table-wrap', testid: 'library-list', 'aria-live': 'polite' });
  let current: string | undefined;
  let seq = 0;

  const pick = (param: string | undefined): string | undefined => {
    if (!roots?.length) return undefined;
    if (param && roots.some((u) => u.code === param)) return param;
    const own = roots.find((u) => u.code === state.user?.unit_code);
    return (own ?? roots[0])?.code;
  };

  const renderUnit = () => {
    if (!roots || roots.length <= 1) {
      const only = roots?.[0];
      replace(unitBox, only ? h('p', { class: 'muted', testid: 'library-unit-name' }, `${t('library.unit')}: `, h('strong', { text: only.name })) : null);
      return;
    }
    const sel = h(
      'select',
      { testid: 'library-unit' },
      roots.map((u) => h('option', { value: u.code, text: `${u.name} (${u.code})` })),
    );
    if (current) sel.value = current;
    sel.addEventListener('change', () => navigate(`#/library/${encodeURIComponent(sel.value)}`));
    replace(unitBox, field(t('library.unit'), sel));
  };

  const load = async (code: string) => {
    const mine = ++seq;
    msg.clear();
    replace(list, spinner(t('app.loading')));
    try {
      const { items } = await api.library(code);
      if (mine !== seq) return;
      if (!items.length) {
        replace(list, h('p', { class: 'empty', testid: 'library-empty', text: t('library.empty') }));
        return;
      }
      replace(
        list,
        bulletinTable(items, {
          testid: 'library-table',
          showStatus: false,
          extra: (b) => (b.published_at ? h('span', { class: 'row-summary', text: t('library.publishedAt', { when: fmtTime(b.published_at) }) }) : null),
        }),
      );
    } catch (err) {
      if (mine !== seq) return;
      replace(list);
      msg.error(errorText(err));
    }
  };

  const show = async (param: string | undefined) => {
    if (!roots) {
      replace(list, spinner(t('app.loading')));
      try {
        roots = (await api.unitRoots()).items.filter((u) => !u.navigable_only);
      } catch (err) {
        replace(list);
        msg.error(errorText(err));
        return;
      }
    }
    current = pick(param);
    renderUnit();
    if (!current) {
      replace(list, h('p', { class: 'empty', testid: 'library-no-unit', text: t('library.noUnit') }));
      return;
    }
    await load(current);
  };

  const el = h(
    'section',
    { class: 'page library-page' },
    h('h1', { text: t('library.title') }),
    h('p', { class: 'muted', text: t('library.intro') }),
    unitBox,
    msg.el,
    list,
  );
  return {
    el,
    update(param) {
      void show(param);
    },
  };
}
