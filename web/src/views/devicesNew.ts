// Register a device (#/devices/new): registry fields; on success, open its detail page, where it
// can be provisioned.

import { deviceApi } from '../api';
import { flash, navigate, type View } from '../app';
import { canOperate, deviceHref } from '../components/deviceBits';
import { deviceFields } from '../components/deviceForm';
import { busy, h, messageBox } from '../dom';
import { errorText } from '../errors';
import { t } from '../i18n';

export function devicesNewView(): View {
  const msg = messageBox('device-new-msg');
  if (!canOperate()) {
    msg.error(t('err.forbidden'));
    return { el: h('section', { class: 'page' }, h('h1', { text: t('dev.newTitle') }), msg.el) };
  }
  const fields = deviceFields('dn', null);
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'dn-submit', text: t('dev.newSubmit') });
  const form = h(
    'form',
    { class: 'card', novalidate: true, testid: 'device-new-form', 'aria-labelledby': 'dn-title' },
    fields.el,
    msg.el,
    h('div', { class: 'actions' }, submit, h('a', { class: 'btn btn-ghost', href: '#/devices', text: t('dev.cancel') })),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    msg.clear();
    const input = fields.read();
    if (typeof input === 'string') return msg.error(input);
    void busy(
      [submit],
      async () => {
        try {
          const d = await deviceApi.createDevice(input);
          flash(t('dev.created', { id: d.id }));
          navigate(deviceHref(d.id));
        } catch (err) {
          msg.error(errorText(err));
        }
      },
      { el: submit, busyText: t('common.busy') },
    );
  });
  return {
    el: h(
      'section',
      { class: 'page device-new-page' },
      h('p', { class: 'back' }, h('a', { href: '#/devices', text: t('dev.back') })),
      h('h1', { id: 'dn-title', text: t('dev.newTitle') }),
      form,
    ),
  };
}
