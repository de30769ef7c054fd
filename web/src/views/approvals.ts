// Approval queue: submitted bulletins the user may approve, with quick Approve / Return.

import { api } from '../api';
import type { View } from '../app';
import { refreshBell } from '../components/bell';
import { bulletinHref, categoryLabel, fmtTime, priorityBadge, spinner, unitLabel } from '../components/bulletinBits';
import { busy, h, messageBox, replace, uid } from '../dom';
import { errorText } from '../errors';
import { t } from '../i18n';
import type { Bulletin } from '../types';

export function approvalsView(): View {
  const msg = messageBox('queue-msg');
  const list = h('div', { class: 'queue', testid: 'approval-queue', 'aria-live': 'polite' });
  let items: Bulletin[] = [];

  const render = () => {
    if (!items.length) {
      replace(list, h('p', { class: 'empty card', testid: 'queue-empty', text: t('queue.empty') }));
      return;
    }
    replace(list, h('ul', { class: 'queue-list' }, items.map(row)));
  };

  const done = (b: Bulletin, text: string) => {
    items = items.filter((x) => x.id !== b.id);
    render();
    msg.success(text);
    refreshBell();
  };

  const row = (b: Bulletin): HTMLElement => {
    const rowMsg = messageBox(`queue-row-msg-${b.id}`);
    const approve = h('button', { type: 'button', class: 'btn btn-primary btn-small', testid: `queue-approve-${b.id}`, text: t('detail.approve') });
    const ret = h('button', { type: 'button', class: 'btn btn-danger btn-small', testid: `queue-return-${b.id}`, text: t('detail.return'), 'aria-expanded': 'false' });
    const extra = h('div', { class: 'action-extra' });
    approve.addEventListener('click', () => {
      rowMsg.clear();
      void busy(
        [approve, ret],
        async () => {
          try {
            const next = await api.bulletinAction(b.id, 'approve');
            done(next, `${t('detail.done.approve')} ${next.title}`);
          } catch (err) {
            rowMsg.error(errorText(err));
          }
        },
        { el: approve, busyText: t('common.busy') },
      );
    });
    ret.addEventListener('click', () => {
      const open = ret.getAttribute('aria-expanded') === 'true';
      ret.setAttribute('aria-expanded', String(!open));
      if (open) {
        replace(extra);
        return;
      }
      const id = uid('reason');
      const reason = h('textarea', { id, rows: '2', maxlength: '2000', testid: `queue-reason-${b.id}` });
      const confirm = h('button', { type: 'submit', class: 'btn btn-danger btn-small', testid: `queue-return-confirm-${b.id}`, text: t('detail.returnConfirm') });
      const form = h('form', { class: 'return-form', novalidate: true }, h('label', { for: id, text: t('detail.returnReasonLabel') }), reason, h('div', { class: 'actions' }, confirm));
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        rowMsg.clear();
        const text = reason.value.trim();
        if (!text) {
          reason.focus();
          rowMsg.error(t('detail.returnRequired'));
          return;
        }
        void busy([approve, ret, confirm], async () => {
          try {
            const next = await api.returnBulletin(b.id, text);
            done(next, `${t('detail.done.return')} ${next.title}`);
          } catch (err) {
            rowMsg.error(errorText(err));
          }
        });
      });
      replace(extra, form);
      reason.focus();
    });
    return h(
      'li',
      { class: `card queue-item${b.priority === 'emergency' ? ' is-emergency' : ''}`, testid: `queue-item-${b.id}` },
      h(
        'div',
        { class: 'queue-head' },
        h('a', { href: bulletinHref(b), class: 'bulletin-link', testid: `queue-link-${b.id}`, text: b.title || t('bulletins.noTitle') }),
        priorityBadge(b.priority),
      ),
      h(
        'p',
        { class: 'muted queue-meta' },
        unitLabel(b.owner_unit),
        ` · ${categoryLabel(b.category)} · ${t('queue.submittedAt', { when: fmtTime(b.submitted_at) })}`,
      ),
      b.summary ? h('p', { class: 'row-summary', text: b.summary }) : null,
      h('div', { class: 'actions' }, approve, ret, h('a', { class: 'btn btn-ghost btn-small', href: bulletinHref(b), text: t('queue.open') })),
      extra,
      rowMsg.el,
    );
  };

  const load = async () => {
    replace(list, spinner(t('app.loading')));
    try {
      items = (await api.approvalQueue()).items;
      render();
    } catch (err) {
      replace(list);
      msg.error(errorText(err));
    }
  };

  const el = h('section', { class: 'page queue-page' }, h('h1', { text: t('queue.title') }), msg.el, list);
  void load();
  return { el };
}
