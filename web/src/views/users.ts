// User administration: list, create (with a generated one-time password), disable/enable,
// reset password, edit display name and role grants.

import { api } from '../api';
import { state, type View } from '../app';
import { grantEditor } from '../components/grants';
import { secretBox } from '../components/secret';
import { unitPicker } from '../components/unitPicker';
import { busy, field, h, messageBox, replace } from '../dom';
import { errorText } from '../errors';
import { roleLabel, t } from '../i18n';
import type { User } from '../types';

export function usersView(): View {
  const msg = messageBox('users-msg');
  const panel = h('div', { class: 'users-panel' });
  const tableBox = h('div', { class: 'table-wrap', testid: 'users-table-wrap' });
  let users: User[] = [];

  const openBtn = h('button', { type: 'button', class: 'btn btn-primary', testid: 'user-create-open', text: t('users.create') });

  const closePanel = () => {
    replace(panel);
  };

  const showSecret = (title: string, password: string) => {
    replace(panel, secretBox(title, password, 'generated-password', closePanel));
    panel.querySelector<HTMLInputElement>('input')?.focus();
    panel.scrollIntoView({ block: 'nearest' });
  };

  // ---- create -------------------------------------------------------------------------------
  const openCreate = () => {
    msg.clear();
    const username = h('input', {
      type: 'text',
      testid: 'new-username',
      autocomplete: 'off',
      autocapitalize: 'none',
      spellcheck: 'false',
      pattern: '[a-z0-9._-]+',
      maxlength: '64',
      required: true,
    });
    const displayName = h('input', { type: 'text', testid: 'new-display-name', autocomplete: 'off', maxlength: '120', required: true });
    const unit = unitPicker({ label: t('users.unit'), testid: 'new-unit' });
    const grants = grantEditor('new-grant', [{ role: 'viewer', unit_code: '' }]);
    unit.onChange((u) => {
      if (u) grants.fillEmptyUnits(u);
    });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'new-user-submit', text: t('users.createSubmit') });
    const cancel = h('button', { type: 'button', class: 'btn btn-ghost', text: t('users.cancel'), on: { click: closePanel } });
    const formMsg = messageBox('new-user-msg');
    const form = h(
      'form',
      { class: 'card', testid: 'user-create-form', novalidate: true, 'aria-labelledby': 'create-title' },
      h('h2', { id: 'create-title', text: t('users.createTitle') }),
      h(
        'div',
        { class: 'form-grid' },
        field(t('users.username'), username, t('users.usernameHint')),
        field(t('users.displayName'), displayName),
        unit.el,
      ),
      grants.el,
      formMsg.el,
      h('div', { class: 'actions' }, submit, cancel),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      formMsg.clear();
      const u = unit.value();
      const uname = username.value.trim().toLowerCase();
      if (!uname || !displayName.value.trim() || !u) return formMsg.error(t('users.required'));
      const roles = grants.value();
      if (!roles) return formMsg.error(t('users.grantIncomplete'));
      const controls = [...form.querySelectorAll<HTMLInputElement | HTMLButtonElement | HTMLSelectElement>('input, button, select')];
      void busy(controls, async () => {
        try {
          const res = await api.createUser({ username: uname, display_name: displayName.value.trim(), unit_code: u.code, roles });
          msg.success(t('users.created', { username: res.user.username }));
          if (res.password) showSecret(t('users.generatedPassword', { username: res.user.username }), res.password);
          else closePanel();
          await reload();
        } catch (err) {
          formMsg.error(errorText(err));
        }
      });
    });
    replace(panel, form);
    username.focus();
  };
  openBtn.addEventListener('click', openCreate);

  // ---- edit ---------------------------------------------------------------------------------
  const openEdit = (u: User) => {
    msg.clear();
    const displayName = h('input', { type: 'text', testid: 'edit-display-name', value: u.display_name, maxlength: '120', required: true });
    const grants = grantEditor('edit-grant', u.roles);
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'edit-user-submit', text: t('users.saveRoles') });
    const cancel = h('button', { type: 'button', class: 'btn btn-ghost', text: t('users.cancel'), on: { click: closePanel } });
    const formMsg = messageBox('edit-user-msg');
    const form = h(
      'form',
      { class: 'card', testid: 'user-edit-form', novalidate: true, 'aria-labelledby': 'edit-title' },
      h('h2', { id: 'edit-title', text: t('users.editTitle', { username: u.username }) }),
      field(t('users.displayName'), displayName),
      grants.el,
      formMsg.el,
      h('div', { class: 'actions' }, submit, cancel),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      formMsg.clear();
      const roles = grants.value();
      if (!roles) return formMsg.error(t('users.grantIncomplete'));
      const name = displayName.value.trim();
      if (!name) return formMsg.error(t('users.required'));
      const controls = [...form.querySelectorAll<HTMLInputElement | HTMLButtonElement | HTMLSelectElement>('input, button, select')];
      void busy(controls, async () => {
        try {
          const body: { roles: typeof roles; display_name?: string } = { roles };
          if (name !== u.display_name) body.display_name = name;
          const updated = await api.updateUser(u.id, body);
          closePanel();
          msg.success(t('users.rolesSaved', { username: updated.username }));
          replaceUser(updated);
        } catch (err) {
          formMsg.error(errorText(err));
        }
      });
    });
    replace(panel, form);
    panel.scrollIntoView({ block: 'nearest' });
    displayName.focus();
  };

  // ---- table --------------------------------------------------------------------------------
  const statusCell = (u: User) => {
    const badges: HTMLElement[] = [];
    if (u.disabled) badges.push(h('span', { class: 'badge badge-off', text: t('users.disabled') }));
    if (u.locked) badges.push(h('span', { class: 'badge badge-warn', text: t('users.locked') }));
    if (!u.disabled && !u.locked) badges.push(h('span', { class: 'badge badge-ok', text: t('users.active') }));
    if (u.must_change_password) badges.push(h('span', { class: 'badge', text: t('users.mustChange') }));
    return badges;
  };

  const rowFor = (u: User): HTMLTableRowElement => {
    const self = state.user?.id === u.id;
    const toggleBtn = h('button', {
      type: 'button',
      class: u.disabled ? 'btn btn-small' : 'btn btn-small btn-danger',
      testid: `user-toggle-${u.username}`,
      text: u.disabled ? t('users.enable') : t('users.disable'),
      disabled: self,
    });
    const resetBtn = h('button', { type: 'button', class: 'btn btn-small', testid: `user-reset-${u.username}`, text: t('users.resetPassword'), disabled: self });
    const editBtn = h('button', { type: 'button', class: 'btn btn-small', testid: `user-edit-${u.username}`, text: t('users.editRoles') });
    const buttons = [toggleBtn, resetBtn, editBtn];

    toggleBtn.addEventListener('click', () => {
      msg.clear();
      if (!u.disabled && !window.confirm(t('users.confirmDisable', { username: u.username }))) return;
      void busy(buttons, async () => {
        try {
          const updated = await api.updateUser(u.id, { disabled: !u.disabled });
          msg.success(t('users.statusSaved', { username: updated.username }));
          replaceUser(updated);
        } catch (err) {
          msg.error(errorText(err));
        }
      });
    });
    resetBtn.addEventListener('click', () => {
      msg.clear();
      if (!window.confirm(t('users.confirmReset', { username: u.username }))) return;
      void busy(buttons, async () => {
        try {
          const res = await api.resetPassword(u.id);
          showSecret(t('users.newPassword', { username: u.username }), res.password);
          void reload();
        } catch (err) {
          msg.error(errorText(err));
        }
      });
    });
    editBtn.addEventListener('click', () => openEdit(u));

    const cell = (label: string, ...content: (Node | string)[]) => h('td', { 'data-label': label }, content);
    return h(
      'tr',
      { testid: `user-row-${u.username}` },
      cell(t('users.username'), h('span', { class: 'mono', text: u.username })),
      cell(t('users.displayName'), u.display_name),
      cell(t('users.unit'), u.unit_name || u.unit_code),
      cell(
        t('users.roles'),
        h(
          'ul',
          { class: 'role-list' },
          u.roles.map((r) => h('li', null, h('span', { class: 'role', text: roleLabel(r.role) }), ` · ${r.unit_name || r.unit_code}`)),
        ),
      ),
      h('td', { 'data-label': t('users.status'), testid: `user-status-${u.username}` }, h('div', null, statusCell(u))),
      h('td', { 'data-label': t('users.actions') }, h('div', { class: 'row-actions' }, buttons)),
    );
  };

  const renderTable = () => {
    if (!users.length) return replace(tableBox, h('p', { class: 'muted', text: t('users.empty') }));
    replace(
      tableBox,
      h(
        'table',
        { class: 'users-table', testid: 'users-table' },
        h('caption', { class: 'sr-only', text: t('users.title') }),
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            [t('users.username'), t('users.displayName'), t('users.unit'), t('users.roles'), t('users.status'), t('users.actions')].map((c) =>
              h('th', { scope: 'col', text: c }),
            ),
          ),
        ),
        h('tbody', null, users.map(rowFor)),
      ),
    );
  };

  const replaceUser = (u: User) => {
    users = users.map((x) => (x.id === u.id ? u : x));
    renderTable();
  };

  const reload = async () => {
    try {
      users = (await api.users()).items;
      renderTable();
    } catch (err) {
      replace(tableBox, h('p', { class: 'msg msg-error', role: 'alert', testid: 'users-error', text: errorText(err) }));
    }
  };

  replace(tableBox, h('p', { class: 'muted', text: t('users.loading') }));
  void reload();

  const el = h(
    'section',
    { class: 'page users-page' },
    h('div', { class: 'page-head' }, h('h1', { text: t('users.title') }), openBtn),
    msg.el,
    panel,
    tableBox,
  );
  return { el };
}
