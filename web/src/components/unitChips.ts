// A list of chosen units (chips with a remove button) plus a unit picker to add more: the areas
// of a broadcast, the target units of a programme.

import { h, replace } from '../dom';
import { t } from '../i18n';
import type { UnitRef } from '../types';
import { unitLabel } from './bulletinBits';
import { unitPicker } from './unitPicker';

export interface UnitChips {
  el: HTMLElement;
  values(): string[];
  set(codes: string[]): void;
}

export function unitChips(opts: { legend: string; testid: string; initial?: string[]; hint?: string }): UnitChips {
  let units: UnitRef[] = (opts.initial ?? []).map((code) => ({ code, name: code }));
  const list = h('ul', { class: 'chips', testid: opts.testid });
  const render = () => {
    if (!units.length) {
      replace(list, h('li', { class: 'chip chip-empty', testid: `${opts.testid}-none`, text: t('dev.chips.none') }));
      return;
    }
    replace(
      list,
      units.map((u) =>
        h(
          'li',
          { class: 'chip', testid: `${opts.testid}-${u.code}` },
          u.name === u.code ? unitLabel(u.code) : h('span', { text: u.name }),
          h('button', {
            type: 'button',
            class: 'chip-remove',
            testid: `${opts.testid}-remove-${u.code}`,
            'aria-label': t('dev.chips.remove', { name: u.name }),
            text: '×',
            on: {
              click: () => {
                units = units.filter((x) => x.code !== u.code);
                render();
              },
            },
          }),
        ),
      ),
    );
  };
  render();
  const picker = unitPicker({ label: t('dev.chips.add'), testid: `${opts.testid}-add`, compact: true });
  picker.onChange((u) => {
    if (!u) return;
    if (!units.some((x) => x.code === u.code)) units = [...units, u];
    render();
    picker.set(null);
    picker.input.focus();
  });
  const el = h(
    'fieldset',
    { class: 'targets' },
    h('legend', { text: opts.legend }),
    list,
    picker.el,
    opts.hint ? h('p', { class: 'hint', text: opts.hint }) : null,
  );
  return {
    el,
    values: () => units.map((u) => u.code),
    set: (codes) => {
      units = codes.map((code) => ({ code, name: code }));
      render();
    },
  };
}
