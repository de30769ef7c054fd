// Editor for a user's role grants: rows of (role, unit).

import { state } from '../app';
import { h, replace } from '../dom';
import { roleLabel, t } from '../i18n';
import { ALL_ROLES, type RoleGrant, type UnitRef } from '../types';
import { unitPicker, type UnitPicker } from './unitPicker';

export interface GrantEditor {
  el: HTMLElement;
  /** The grants, or null when a row lacks its unit. */
  value(): RoleGrant[] | null;
  /** Fills the unit of rows that have none (used when the user's own unit is chosen). */
  fillEmptyUnits(u: UnitRef): void;
}

export function grantEditor(testid: string, initial: RoleGrant[]): GrantEditor {
  const roles = state.meta?.roles?.length ? state.meta.roles : [...ALL_ROLES];
  const rows: { el: HTMLElement; role: HTMLSelectElement; unit: UnitPicker }[] = [];
  const body = h('div', { class: 'grant-rows' });
  let counter = 0;

  const render = () => replace(body, rows.map((r) => r.el));

  const addRow = (g: Partial<RoleGrant> = {}) => {
    const n = counter++;
    const role = h(
      'select',
      { testid: `${testid}-role-${n}` },
      roles.map((r) => h('option', { value: r, text: roleLabel(r), selected: r === (g.role ?? 'viewer') })),
    );
    role.id = `${testid}-role-${n}`;
    const unit = unitPicker({
      label: t('users.grantUnit'),
      testid: `${testid}-unit-${n}`,
      initial: g.unit_code ? { code: g.unit_code, name: g.unit_name ?? g.unit_code } : null,
      compact: true,
    });
    const row = {
      role,
      unit,
      el: h(
        'div',
        { class: 'grant-row', testid: `${testid}-row-${n}` },
        h('div', { class: 'field' }, h('label', { for: role.id, text: t('users.grantRole') }), role),
        unit.el,
        h('button', {
          type: 'button',
          class: 'btn btn-ghost btn-small grant-remove',
          testid: `${testid}-remove-${n}`,
          text: t('users.removeGrant'),
          on: {
            click: () => {
              rows.splice(rows.indexOf(row), 1);
              render();
            },
          },
        }),
      ),
    };
    rows.push(row);
    render();
  };

  for (const g of initial) addRow(g);
  const el = h(
    'fieldset',
    { class: 'grants', testid },
    h('legend', { text: t('users.grants') }),
    body,
    h('button', {
      type: 'button',
      class: 'btn btn-small',
      testid: `${testid}-add`,
      text: t('users.addGrant'),
      on: { click: () => addRow() },
    }),
  );
  return {
    el,
    value: () => {
      const out: RoleGrant[] = [];
      for (const r of rows) {
        const u = r.unit.value();
        if (!u) return null;
        out.push({ role: r.role.value, unit_code: u.code });
      }
      return out;
    },
    fillEmptyUnits: (u) => {
      for (const r of rows) if (!r.unit.value()) r.unit.set(u);
    },
  };
}
