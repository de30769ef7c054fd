// Sign-in page.

import { api } from '../api';
import { signedIn } from '../app';
import { busy, field, h, messageBox } from '../dom';
import { errorText } from '../errors';
import { lang, setLang, t } from '../i18n';

export function loginView(notice: string | null): HTMLElement {
  const username = h('input', {
    type: 'text',
    name: 'username',
    testid: 'login-username',
    autocomplete: 'username',
    autocapitalize: 'none',
    spellcheck: 'false',
    required: true,
  });
  const password = h('input', {
    type: 'password',
    name: 'password',
    testid: 'login-password',
    autocomplete: 'current-password',
    required: true,
  });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', testid: 'login-submit', text: t('login.submit') });
  const msg = messageBox('login-error');
  const info = messageBox('login-notice');
  if (notice) info.info(notice);

  const form = h(
    'form',
    { class: 'login-form', novalidate: true, 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title', text: t('login.title') }),
    info.el,
    field(t('login.username'), username),
    field(t('login.password'), password),
    msg.el,
    submit,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    msg.clear();
    const u = username.value.trim();
    if (!u || !password.value) {
      msg.error(t('login.required'));
      (u ? password : username).focus();
      return;
    }
    void busy(
      [username, password, submit],
      () => api.login(u, password.value),
      { el: submit, busyText: t('login.busy') },
    ).then(
      (session) => signedIn(session.user, session.csrf_token),
      (err: unknown) => {
        msg.error(errorText(err));
        password.value = '';
        password.focus();
      },
    );
  });

  const other = lang() === 'vi' ? 'en' : 'vi';
  const langBtn = h('button', {
    type: 'button',
    class: 'btn btn-ghost btn-small',
    testid: `lang-${other}`,
    lang: other,
    text: other === 'en' ? t('lang.en.long') : t('lang.vi.long'),
    on: { click: () => setLang(other) },
  });

  queueMicrotask(() => username.focus());
  return h(
    'div',
    { class: 'login-page' },
    h(
      'div',
      { class: 'login-card' },
      h('div', { class: 'login-brand' }, h('span', { class: 'brand-name', text: t('app.name') }), h('span', { class: 'brand-tag', text: t('app.tagline') })),
      form,
      h('div', { class: 'login-foot' }, langBtn),
    ),
  );
}
