// "Phát ngay" (broadcast now): choose areas and a published bulletin, priority and volume; the
// server answers with an order id, which can be stopped from the same dialog.

import { deviceApi } from '../api';
import { busy, field, h, messageBox, replace, uid } from '../dom';
import { errorText } from '../errors';
import { labelOf, t } from '../i18n';
import { PRIORITIES, type Priority } from '../types';
import { bulletinSelect } from './bulletinSelect';
import { unitChips } from './unitChips';

export function openBroadcastDialog(opts: { areas?: string[] } = {}): void {
  const titleId = uid('bc-title');
  const dialog = h('dialog', { class: 'dialog', testid: 'broadcast-dialog', 'aria-labelledby': titleId });
  const msg = messageBox('broadcast-msg');
  const areas = unitChips({ legend: t('bc.areas'), testid: 'bc-areas', initial: opts.areas ?? [], hint: t('bc.areasHint') });
  const bulletin = bulletinSelect('bc-bulletin');
  const priority = h(
    'select',
    { testid: 'bc-priority' },
    PRIORITIES.map((p) => h('option', { value: p, text: labelOf('priority', p) })),
  );
  const volume = h('input', { type: 'range', min: '0', max: '100', step: '5', value: '80', testid: 'bc-volume' });
  const volumeOut = h('output', { class: 'range-out', testid: 'bc-volume-out', text: '80' });
  volume.addEventListener('input', () => {
    volumeOut.textContent = volume.value;
  });
  const repeat = h('input', { type: 'number', min: '1', max: '10', value: '1', testid: 'bc-repeat' });
  const submit = h('button', { type: 'submit', class: 'btn btn-danger', testid: 'bc-submit', text: t('bc.submit') });
  const close = h('button', { type: 'button', class: 'btn btn-ghost', testid: 'bc-close', text: t('bc.close') });
  const result = h('div', { class: 'bc-result', 'aria-live': 'polite' });

  const volField = field(t('bc.volume'), volume);
  volField.append(volumeOut);
  const form = h(
    'form',
    { class: 'dialog-body', novalidate: true },
    h('h2', { id: titleId, text: t('bc.title') }),
    areas.el,
    field(t('bc.bulletin'), bulletin.el),
    h('div', { class: 'form-grid compact' }, field(t('bc.priority'), priority), field(t('bc.repeat'), repeat), volField),
    msg.el,
    result,
    h('div', { class: 'actions' }, submit, close),
  );
  dialog.append(form);

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    msg.clear();
    const codes = areas.values();
    const bid = bulletin.value();
    if (!codes.length) return msg.error(t('bc.needArea'));
    if (!bid) return msg.error(t('bc.needBulletin'));
    const prio = priority.value as Priority;
    if (prio === 'emergency' && !window.confirm(t('bc.confirmEmergency'))) return;
    void busy(
      [submit],
      async () => {
        try {
          const res = await deviceApi.broadcast({
            areas: codes,
            priority: prio,
            items: [{ kind: 'bulletin', bulletin_id: bid }],
            repeat: Math.max(1, Math.min(10, Number(repeat.value) || 1)),
            volume: Number(volume.value),
          });
          const stop = h('button', { type: 'button', class: 'btn btn-danger', testid: 'bc-stop', text: t('bc.stop') });
          const stopMsg = messageBox('bc-stop-msg');
          stop.addEventListener('click', () => {
            void busy(
              [stop],
              async () => {
                try {
                  await deviceApi.stopBroadcast(res.order);
                  stopMsg.success(t('bc.stopped', { order: res.order }));
                  stop.hidden = true;
                } catch (err) {
                  stopMsg.error(errorText(err));
                }
              },
              { el: stop, busyText: t('common.busy') },
            );
          });
          replace(
            result,
            h(
              'div',
              { class: 'msg msg-success', role: 'status', testid: 'bc-result' },
              h('p', null, t('bc.sent', { devices: res.devices }), ' ', h('strong', { class: 'mono', testid: 'bc-order', text: res.order })),
            ),
            stop,
            stopMsg.el,
          );
          stop.focus();
        } catch (err) {
          msg.error(errorText(err));
        }
      },
      { el: submit, busyText: t('common.busy') },
    );
  });
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    dialog.remove();
    opener?.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  areas.el.querySelector('input')?.focus();
}
