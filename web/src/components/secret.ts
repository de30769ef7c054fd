// A one-time secret (generated password) in a read-only, copyable box.

import { h } from '../dom';
import { t } from '../i18n';

export function secretBox(title: string, secret: string, testid: string, onClose?: () => void): HTMLElement {
  const input = h('input', {
    type: 'text',
    readonly: true,
    value: secret,
    class: 'secret-value',
    testid,
    spellcheck: 'false',
    autocomplete: 'off',
    'aria-label': title,
  });
  input.addEventListener('focus', () => input.select());
  const copy = h('button', { type: 'button', class: 'btn btn-small', testid: `${testid}-copy`, text: t('users.copy') });
  copy.addEventListener('click', () => {
    const done = () => {
      copy.textContent = t('users.copied');
      window.setTimeout(() => (copy.textContent = t('users.copy')), 2000);
    };
    input.select();
    if (navigator.clipboard?.writeText) {
      navigator.clipboard.writeText(secret).then(done, () => {
        if (document.execCommand('copy')) done();
      });
    } else if (document.execCommand('copy')) done();
  });
  const box: HTMLElement = h(
    'div',
    { class: 'secret', role: 'region', 'aria-label': title, testid: `${testid}-box` },
    h('p', { class: 'secret-title', text: title }),
    h('div', { class: 'secret-row' }, input, copy),
    h('p', { class: 'hint', text: t('users.passwordOnce') }),
    onClose
      ? h('button', { type: 'button', class: 'btn btn-ghost btn-small', testid: `${testid}-close`, text: t('users.close'), on: { click: () => { box.remove(); onClose(); } } })
      : null,
  );
  return box;
}
