// Bulletin detail: content, status timeline, revision history, workflow actions by status and
// role (edit, submit, approve / return with a reason, publish, archive), the images card (for
// electronic boards) and the audio card.

import { api, ApiError } from '../api';
import { navigate, state, type View } from '../app';
import { audioPanel } from '../components/audioPanel';
import { refreshBell } from '../components/bell';
import { imagesCard } from '../components/imagesCard';
import {
  categoryLabel,
  fmtTime,
  hasRoleOn,
  priorityBadge,
  spinner,
  statusBadge,
  timeEl,
  unitInfo,
  unitLabel,
} from '../components/bulletinBits';
import { busy, h, messageBox, replace, uid } from '../dom';
import { errorText } from '../errors';
import { t } from '../i18n';
import type { Bulletin, BulletinRevision, Unit } from '../types';

type Action = 'submit' | 'approve' | 'publish' | 'archive';

export function bulletinDetailView(): View {
  const el = h('section', { class: 'page detail-page' });
  let seq = 0;

  const load = async (id: number, notice?: string) => {
    const mine = ++seq;
    replace(el, backLink(), spinner(t('app.loading')));
    let b: Bulletin;
    try {
      b = await api.bulletin(id);
    } catch (err) {
      if (mine !== seq) return;
      const text = err instanceof ApiError && err.status === 404 ? t('detail.notFound', { id }) : errorText(err);
      replace(el, backLink(), h('p', { class: 'msg msg-error', role: 'alert', testid: 'detail-error', text }));
      return;
    }
    const owner = await unitInfo(b.owner_unit);
    if (mine !== seq) return;
    render(b, owner, notice);
  };

  const render = (b: Bulletin, owner: Unit | null, notice?: string, audioNotice?: string) => {
    const user = state.user;
    const isEditor = !!owner && hasRoleOn(user, 'editor', owner);
    const isApprover = !!owner && hasRoleOn(user, 'approver', owner);
    const msg = messageBox('detail-msg');
    if (notice) msg.success(notice);
    const rerender = (next: Bulletin, text?: string, audioText?: string) => render(next, owner, text, audioText);

    replace(
      el,
      backLink(),
      header(b),
      msg.el,
      b.status === 'returned' && b.return_reason
        ? h('p', { class: 'msg msg-warn return-reason', role: 'note', testid: 'detail-return-reason', text: t('detail.returnReason', { reason: b.return_reason }) })
        : null,
      actionsCard(b, isEditor, isApprover, msg, rerender),
      h(
        'div',
        { class: 'detail-grid' },
        h('div', { class: 'detail-main' }, contentCard(b), imagesCard(b, isEditor), audioPanel(b, isEditor, (next, text) => rerender(next, undefined, text), audioNotice)),
        h('div', { class: 'detail-side' }, factsCard(b), timelineCard(b), revisionsCard(b)),
      ),
    );
  };

  return {
    el,
    update(param) {
      const id = Number(param);
      if (!Number.isInteger(id) || id <= 0) {
        navigate('#/bulletins');
        return;
      }
      void load(id);
    },
  };
}

function backLink(): HTMLElement {
  return h('p', { class: 'back' }, h('a', { href: '#/bulletins', testid: 'detail-back', text: t('detail.back') }));
}

function header(b: Bulletin): HTMLElement {
  return h(
    'header',
    { class: 'detail-head', testid: 'bulletin-detail', 'data-id': String(b.id), 'data-status': b.status },
    h('h1', { testid: 'detail-title', text: b.title || t('bulletins.noTitle') }),
    h(
      'p',
      { class: 'badges' },
      statusBadge(b.status, 'detail-status'),
      priorityBadge(b.priority, 'detail-priority'),
      h('span', { class: 'badge', testid: 'detail-category', text: categoryLabel(b.category) }),
      h('span', { class: 'badge', testid: 'detail-revision', text: t('detail.revision', { n: b.revision }) }),
    ),
  );
}

function whoLabel(userId: number): string {
  if (!userId) return '';
  return state.user?.id === userId ? t('detail.you') : t('detail.userRef', { id: userId });
}

function contentCard(b: Bulletin): HTMLElement {
  return h(
    'article',
    { class: 'card content-card', lang: b.language || 'vi' },
    b.summary ? h('p', { class: 'summary', testid: 'detail-summary', text: b.summary }) : null,
    h('div', { class: 'body-text', testid: 'detail-body', text: b.body }),
  );
}

function factsCard(b: Bulletin): HTMLElement {
  const row = (label: string, value: Node | string, testid: string) => [h('dt', { text: label }), h('dd', { testid }, value)];
  const validity =
    b.valid_from || b.valid_until
      ? t('detail.validRange', { from: b.valid_from ? fmtTime(b.valid_from) : '…', until: b.valid_until ? fmtTime(b.valid_until) : '…' })
      : t('detail.validOpen');
  const targets = b.target_units.length
    ? h('span', null, b.target_units.map((c, i) => [i ? ', ' : '', unitLabel(c)]).flat())
    : t('detail.targetsAll');
  return h(
    'section',
    { class: 'card' },
    h(
      'dl',
      { class: 'facts' },
      row(t('detail.owner'), unitLabel(b.owner_unit, 'detail-owner-name'), 'detail-owner'),
      row(t('detail.targets'), targets, 'detail-targets'),
      row(t('detail.language'), b.language, 'detail-language'),
      b.pen_name ? row(t('detail.penName'), b.pen_name, 'detail-pen-name') : null,
      b.source ? row(t('detail.source'), b.source, 'detail-source') : null,
      row(t('detail.validity'), validity, 'detail-validity'),
      row(t('detail.author'), whoLabel(b.author_id), 'detail-author'),
    ),
  );
}

function timelineCard(b: Bulletin): HTMLElement {
  const step = (key: string, label: string, iso: string | null, extra?: string) =>
    h(
      'li',
      { class: iso ? 'tl-step done' : 'tl-step', testid: `tl-${key}` },
      h('span', { class: 'tl-label', text: label }),
      ' ',
      iso ? timeEl(iso) : h('span', { class: 'muted', text: t('time.none') }),
      extra ? h('span', { class: 'muted', text: ` ${extra}` }) : null,
    );
  return h(
    'section',
    { class: 'card timeline-card', 'aria-labelledby': 'tl-title' },
    h('h2', { id: 'tl-title', text: t('detail.timeline') }),
    h(
      'ol',
      { class: 'timeline', testid: 'detail-timeline' },
      step('created', t('detail.created'), b.created_at),
      step('submitted', t('detail.submitted'), b.submitted_at),
      b.status === 'returned'
        ? h('li', { class: 'tl-step returned', testid: 'tl-returned' }, h('span', { class: 'tl-label', text: t('status.returned') }), ' ', h('span', { class: 'tl-reason', text: b.return_reason }))
        : null,
      step('approved', t('detail.approved'), b.approved_at, b.approved_by ? t('detail.approvedBy', { who: whoLabel(b.approved_by) }) : undefined),
      step('published', t('detail.published'), b.published_at),
      step('updated', t('detail.updated'), b.updated_at),
    ),
  );
}

function revisionsCard(b: Bulletin): HTMLElement {
  const box = h('div', { testid: 'detail-revisions' }, spinner(t('app.loading')));
  api.revisions(b.id).then(
    ({ items }) => {
      if (!items.length) {
        replace(box, h('p', { class: 'muted', testid: 'revisions-empty', text: t('detail.noRevisions') }));
        return;
      }
      replace(
        box,
        h(
          'ul',
          { class: 'revisions' },
          [...items]
            .sort((x, y) => y.revision - x.revision)
            .map((r: BulletinRevision) =>
              h(
                'li',
                { testid: `revision-${r.revision}` },
                h(
                  'details',
                  null,
                  h('summary', {
                    text: t('detail.revisionItem', {
                      n: r.revision,
                      when: r.approved_at ? fmtTime(r.approved_at) : t('time.none'),
                      who: r.approved_by ? t('detail.approvedBy', { who: whoLabel(r.approved_by) }) : '',
                    }),
                  }),
                  r.content
                    ? h(
                        'div',
                        { class: 'revision-content' },
                        h('p', { class: 'revision-title', text: String(r.content.title ?? '') }),
                        r.content.summary ? h('p', { class: 'summary', text: String(r.content.summary) }) : null,
                        h('div', { class: 'body-text', text: String(r.content.body ?? '') }),
                      )
                    : null,
                ),
              ),
            ),
        ),
      );
    },
    (err) =>
      replace(
        box,
        err instanceof ApiError && err.status === 404
          ? h('p', { class: 'muted', testid: 'revisions-unavailable', text: t('detail.revisionsUnavailable') })
          : h('p', { class: 'msg msg-error', role: 'alert', text: errorText(err) }),
      ),
  );
  return h('section', { class: 'card', 'aria-labelledby': 'rev-title' }, h('h2', { id: 'rev-title', text: t('detail.revisions') }), box);
}

function actionsCard(
  b: Bulletin,
  isEditor: boolean,
  isApprover: boolean,
  msg: ReturnType<typeof messageBox>,
  rerender: (b: Bulletin, notice?: string) => void,
): HTMLElement {
  const buttons: HTMLButtonElement[] = [];
  const row = h('div', { class: 'actions', testid: 'detail-actions' });
  const extra = h('div', { class: 'action-extra' });

  const run = (action: Action, btn: HTMLButtonElement) => {
    msg.clear();
    if (action === 'archive' && !window.confirm(t('detail.confirmArchive', { title: b.title }))) return;
    void busy(
      buttons,
      async () => {
        try {
          const next = await api.bulletinAction(b.id, action);
          refreshBell();
          rerender(next, t(`detail.done.${action}`));
        } catch (err) {
          msg.error(errorText(err));
          msg.el.setAttribute('data-code', err instanceof ApiError ? err.code : '');
        }
      },
      { el: btn, busyText: t('common.busy') },
    );
  };
  const button = (action: Action, label: string, cls = 'btn') => {
    const btn = h('button', { type: 'button', class: cls, testid: `action-${action}`, text: label });
    btn.addEventListener('click', () => run(action, btn));
    buttons.push(btn);
    return btn;
  };

  const editable = ['draft', 'returned', 'approved', 'published'].includes(b.status);
  const items: (HTMLElement | null)[] = [];
  if (isEditor && editable) {
    items.push(h('a', { class: 'btn', href: `#/bulletins/${b.id}/edit`, testid: 'action-edit', text: t('detail.edit') }));
  }
  if (isEditor && (b.status === 'draft' || b.status === 'returned')) items.push(button('submit', t('detail.submit'), 'btn btn-primary'));
  if (isApprover && b.status === 'submitted') {
    items.push(button('approve', t('detail.approve'), 'btn btn-primary'));
    const ret = h('button', { type: 'button', class: 'btn btn-danger', testid: 'action-return', text: t('detail.return'), 'aria-expanded': 'false' });
    ret.addEventListener('click', () => {
      const open = ret.getAttribute('aria-expanded') === 'true';
      ret.setAttribute('aria-expanded', String(!open));
      if (open) replace(extra);
      else replace(extra, returnForm(b, buttons, msg, rerender));
    });
    buttons.push(ret);
    items.push(ret);
  }
  if (isApprover && b.status === 'approved') items.push(button('publish', t('detail.publish'), 'btn btn-primary'));
  if ((isEditor || isApprover) && b.status !== 'archived' && b.status !== 'submitted') items.push(button('archive', t('detail.archive'), 'btn btn-ghost'));

  if (!items.length) {
    return h('p', { class: 'muted read-only', testid: 'detail-read-only', text: t('detail.readOnly') });
  }
  replace(row, items);
  return h(
    'section',
    { class: 'card actions-card', 'aria-label': t('detail.actions') },
    row,
    isEditor && (b.status === 'approved' || b.status === 'published')
      ? h('p', { class: 'hint warn', testid: 'detail-edit-warning', text: t('detail.editNewRevision') })
      : null,
    extra,
  );
}

function returnForm(
  b: Bulletin,
  buttons: HTMLButtonElement[],
  msg: ReturnType<typeof messageBox>,
  rerender: (b: Bulletin, notice?: string) => void,
): HTMLElement {
  const id = uid('reason');
  const reason = h('textarea', { id, testid: 'return-reason', rows: '3', maxlength: '2000', required: true });
  const confirm = h('button', { type: 'submit', class: 'btn btn-danger', testid: 'return-confirm', text: t('detail.returnConfirm') });
  const form = h('form', { class: 'return-form', novalidate: true }, h('label', { for: id, text: t('detail.returnReasonLabel') }), reason, h('div', { class: 'actions' }, confirm));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    msg.clear();
    const text = reason.value.trim();
    if (!text) {
      reason.focus();
      msg.error(t('detail.returnRequired'));
      return;
    }
    void busy(
      [...buttons, confirm],
      async () => {
        try {
          const next = await api.returnBulletin(b.id, text);
          refreshBell();
          rerender(next, t('detail.done.return'));
        } catch (err) {
          msg.error(errorText(err));
        }
      },
      { el: confirm, busyText: t('common.busy') },
    );
  });
  queueMicrotask(() => reason.focus());
  return form;
}
