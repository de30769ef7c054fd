// Change-password page; mandatory (no other navigation) while must_change_password is set.

import { api, ApiError } from '../api';
import { flash, navigate, signedOut, updateUser } from '../app';
import { busy, field, h, messageBox } from '../dom';
import { errorText } from '../errors';
import { t } from '../i18n';
import type { View } from '../app';

export function passwordView(forced: boolean): View {
  const mk = (testid: string, autocomplete: string) =>
    h('input', { type: 'password', testid, autocomplete, required: true });
  const current = mk('pw-current', 'current-password');
  const next = mk('pw-new', 'new-password');
  const confirm = mk('pw-confirm', 'new-password');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'pw-submit', text: t('password.submit') });
  const msg = messageBox('pw-msg');

  const form = h(
    'form',
    { class: 'card narrow', novalidate: true },
    forced ? h('p', { class: 'msg msg-warn', testid: 'pw-forced', role: 'alert', text: t('password.forced') }) : null,
    field(t('password.current'), current),
    field(t('password.new'), next, t('password.hint')),
    field(t('password.confirm'), confirm),
    msg.el,
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    msg.clear();
    if (!current.value || !next.value || !confirm.value) return msg.error(t('password.required'));
    if (next.value !== confirm.value) {
      confirm.focus();
      return msg.error(t('password.mismatch'));
    }
    if (next.value === current.value) return msg.error(t('password.same'));
    void busy([current, next, confirm, submit], async () => {
      try {
        await api.changePassword(current.value, next.value);
      } catch (err) {
        if (err instanceof ApiError && err.code === 'invalid_credentials') msg.error(t('password.wrongCurrent'));
        else msg.error(errorText(err));
        return;
      }
      // The server may rotate the session; re-read who we are (and the CSRF token).
      try {
        const me = await api.me();
        updateUser(me.user, me.csrf_token);
        flash(t('password.done'));
        navigate(forced ? '#/units' : '#/password');
      } catch {
        signedOut(t('login.passwordChanged'));
      }
    });
  });
  queueMicrotask(() => current.focus());
  return { el: h('section', { class: 'page' }, h('h1', { text: t('password.title') }), form) };
}
