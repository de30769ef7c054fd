// A unit chooser: type a name (diacritics optional) or a code, pick one of the matches.

import { api } from '../api';
import { h, replace, uid } from '../dom';
import { errorText } from '../errors';
import { levelLabel, t } from '../i18n';
import type { Unit, UnitRef } from '../types';

export interface UnitPicker {
  el: HTMLElement;
  value(): UnitRef | null;
  set(unit: UnitRef | null): void;
  onChange(fn: (u: UnitRef | null) => void): void;
  input: HTMLInputElement;
}

const CODE_RE = /^(VN|\d{2}|\d{5}(-\d{3})?)$/;

export function unitPicker(opts: {
  label: string;
  testid: string;
  initial?: UnitRef | null;
  compact?: boolean;
  /** Only units passing this test are offered (e.g. units the user may edit). */
  filter?: (u: Unit) => boolean;
  hint?: string;
}): UnitPicker {
  let selected: UnitRef | null = opts.initial ?? null;
  const listeners: ((u: UnitRef | null) => void)[] = [];
  const listId = uid('units');
  const input = h('input', {
    type: 'search',
    testid: `${opts.testid}-input`,
    placeholder: t('picker.placeholder'),
    autocomplete: 'off',
    role: 'combobox',
    'aria-autocomplete': 'list',
    'aria-expanded': 'false',
    'aria-controls': listId,
    value: selected?.name ?? '',
  });
  input.id = uid('picker');
  const list = h('ul', { class: 'picker-list', id: listId, role: 'listbox', testid: `${opts.testid}-options`, hidden: true });
  const chosen = h('p', { class: 'picker-chosen', testid: `${opts.testid}-selected`, 'aria-live': 'polite' });
  const status = h('p', { class: 'picker-status', hidden: true });

  const renderChosen = () => {
    chosen.textContent = selected ? t('picker.selected', { name: `${selected.name} (${selected.code})` }) : t('picker.none');
    chosen.classList.toggle('is-empty', !selected);
  };
  renderChosen();

  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
  };
  const choose = (u: UnitRef) => {
    selected = { code: u.code, name: u.name };
    input.value = u.name;
    close();
    status.hidden = true;
    renderChosen();
    for (const fn of listeners) fn(selected);
  };

  let seq = 0;
  let timer: number | undefined;
  const search = async (q: string) => {
    const mine = ++seq;
    let items: Unit[] = [];
    try {
      const tasks: Promise<Unit[]>[] = [api.searchUnits(q, { limit: 10 }).then((r) => r.items)];
      if (CODE_RE.test(q)) tasks.push(api.unit(q).then((u) => [u], () => []));
      const results = await Promise.all(tasks);
      const seen = new Set<string>();
      for (const u of results.flat().reverse()) {
        if (!seen.has(u.code)) {
          seen.add(u.code);
          items.push(u);
        }
      }
    } catch (err) {
      if (mine !== seq) return;
      status.textContent = errorText(err);
      status.hidden = false;
      close();
      return;
    }
    if (mine !== seq) return;
    if (opts.filter) items = items.filter(opts.filter);
    if (!items.length) {
      status.textContent = t('picker.noResults');
      status.hidden = false;
      close();
      return;
    }
    status.hidden = true;
    replace(
      list,
      items.map((u) =>
        h(
          'li',
          { role: 'option', 'aria-selected': 'false' },
          h(
            'button',
            { type: 'button', class: 'picker-option', testid: `${opts.testid}-option-${u.code}`, on: { click: () => choose(u) } },
            h('span', { class: 'picker-name', text: u.name }),
            h('span', { class: 'picker-meta', text: [u.code, levelLabel(u.level), ...(u.ancestors ?? []).slice(1).map((a) => a.name)].join(' · ') }),
          ),
        ),
      ),
    );
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
  };

  input.addEventListener('input', () => {
    if (selected) {
      selected = null;
      renderChosen();
      for (const fn of listeners) fn(null);
    }
    window.clearTimeout(timer);
    const q = input.value.trim();
    if (!q) {
      seq++;
      close();
      status.hidden = true;
      return;
    }
    timer = window.setTimeout(() => void search(q), 250);
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') close();
    else if (ev.key === 'ArrowDown' && !list.hidden) {
      ev.preventDefault();
      list.querySelector<HTMLButtonElement>('button')?.focus();
    } else if (ev.key === 'Enter') {
      ev.preventDefault();
      const q = input.value.trim();
      if (q) {
        window.clearTimeout(timer);
        void search(q);
      }
    }
  });
  list.addEventListener('keydown', (ev) => {
    const btns = [...list.querySelectorAll<HTMLButtonElement>('button')];
    const i = btns.indexOf(document.activeElement as HTMLButtonElement);
    if (ev.key === 'ArrowDown' && i < btns.length - 1) {
      ev.preventDefault();
      btns[i + 1]?.focus();
    } else if (ev.key === 'ArrowUp') {
      ev.preventDefault();
      (i > 0 ? btns[i - 1] : input)?.focus();
    } else if (ev.key === 'Escape') {
      close();
      input.focus();
    }
  });

  const el = h(
    'div',
    { class: opts.compact ? 'field picker picker-compact' : 'field picker', testid: opts.testid },
    h('label', { for: input.id, text: opts.label }),
    input,
    list,
    status,
    chosen,
    opts.hint ? h('p', { class: 'hint', text: opts.hint }) : null,
  );
  el.addEventListener('focusout', (ev) => {
    const next = (ev as FocusEvent).relatedTarget as Node | null;
    if (!next || !el.contains(next)) close();
  });
  return {
    el,
    input,
    value: () => selected,
    set: (u) => {
      selected = u;
      input.value = u?.name ?? '';
      renderChosen();
    },
    onChange: (fn) => listeners.push(fn),
  };
}
