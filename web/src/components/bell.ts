// Notification bell in the header: unread count, a dropdown listing the unread notifications
// (click → the bulletin), "mark all read". Polls every 30 s; refreshed on navigation too.

import { api, ApiError } from '../api';
import { h, replace } from '../dom';
import { errorText } from '../errors';
import { labelOf, t } from '../i18n';
import type { AppNotification } from '../types';
import { bulletinHref, fmtTime } from './bulletinBits';

const POLL_MS = 30_000;

let timer: number | undefined;
let current: { refresh(force?: boolean): void } | null = null;

/** Stops polling (sign-out, shell rebuilt). */
export function stopBell(): void {
  window.clearInterval(timer);
  timer = undefined;
  current = null;
}

/** Refreshes the bell if one is mounted (called on every route change). */
export function refreshBell(): void {
  current?.refresh(false);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

function bellIcon(): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '22');
  svg.setAttribute('height', '22');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute(
    'd',
    'M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z',
  );
  path.setAttribute('fill', 'currentColor');
  svg.appendChild(path);
  return svg;
}

export function notificationBell(): HTMLElement {
  stopBell();
  let items: AppNotification[] = [];
  let inFlight = false;
  let seq = 0;
  let open = false;

  const count = h('span', { class: 'bell-count', testid: 'bell-count', hidden: true });
  const button = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-ghost bell-btn',
      testid: 'bell',
      'aria-haspopup': 'true',
      'aria-expanded': 'false',
      'aria-label': t('bell.label'),
      title: t('bell.label'),
    },
    bellIcon(),
    count,
  );
  const panel = h('div', { class: 'bell-panel', testid: 'bell-panel', hidden: true, role: 'region', 'aria-label': t('bell.title') });
  const wrap = h('div', { class: 'bell' }, button, panel);

  const renderCount = () => {
    const n = items.length;
    count.textContent = n > 99 ? '99+' : String(n);
    count.hidden = n === 0;
    const label = n ? t('bell.unread', { count: n }) : t('bell.label');
    button.setAttribute('aria-label', label);
    button.title = label;
    button.classList.toggle('has-unread', n > 0);
  };

  const renderPanel = (error?: string) => {
    const markAll = h('button', {
      type: 'button',
      class: 'btn btn-small',
      testid: 'bell-mark-all',
      text: t('bell.markAll'),
      disabled: !items.length,
    });
    markAll.addEventListener('click', () => void markAllRead(markAll));
    replace(
      panel,
      h('div', { class: 'bell-head' }, h('strong', { text: t('bell.title') }), markAll),
      error ? h('p', { class: 'msg msg-error', role: 'alert', testid: 'bell-error', text: error }) : null,
      items.length
        ? h(
            'ul',
            { class: 'bell-list', testid: 'bell-list' },
            items.map((n) =>
              h(
                'li',
                null,
                h(
                  'a',
                  {
                    class: 'bell-item',
                    href: n.feedback_id ? `#/feedback/${n.feedback_id}` : bulletinHref(n.bulletin_id),
                    testid: `bell-item-${n.id}`,
                    'data-kind': n.kind,
                    'data-bulletin': String(n.bulletin_id),
                    on: { click: () => close() },
                  },
                  h('span', { class: `badge notif-${n.kind.replace(/\W/g, '-')}`, text: labelOf('notif', n.kind) }),
                  h('span', { class: 'bell-msg', text: n.message }),
                  h('span', { class: 'bell-time', text: fmtTime(n.created_at) }),
                ),
              ),
            ),
          )
        : h('p', { class: 'empty', testid: 'bell-empty', text: t('bell.empty') }),
    );
  };

  // force: a newer request supersedes one in flight; otherwise (navigation) it is not doubled.
  const refresh = async (force = true) => {
    if (!force && inFlight) return;
    const mine = ++seq;
    inFlight = true;
    try {
      const res = await api.notifications(true);
      if (mine !== seq) return;
      items = res.items.filter((n) => !n.read).sort((a, b) => b.id - a.id);
      renderCount();
      if (open) renderPanel();
    } catch (err) {
      if (mine !== seq) return;
      if (err instanceof ApiError && err.status === 401) return; // the session handler signs out
      if (open) renderPanel(errorText(err));
    } finally {
      if (mine === seq) inFlight = false;
    }
  };

  const markAllRead = async (btn: HTMLButtonElement) => {
    const max = items.reduce((m, n) => Math.max(m, n.id), 0);
    if (!max) return;
    btn.disabled = true;
    try {
      await api.markNotificationsRead(max);
      items = items.filter((n) => n.id > max);
      renderCount();
      renderPanel();
      void refresh(true);
    } catch (err) {
      renderPanel(errorText(err));
    }
  };

  const onDocClick = (ev: MouseEvent) => {
    if (!wrap.contains(ev.target as Node)) close();
  };
  const onKey = (ev: KeyboardEvent) => {
    if (ev.key === 'Escape') {
      close();
      button.focus();
    }
  };
  function close() {
    if (!open) return;
    open = false;
    panel.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('click', onDocClick, true);
    document.removeEventListener('keydown', onKey);
  }
  const show = () => {
    open = true;
    renderPanel();
    panel.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    document.addEventListener('click', onDocClick, true);
    document.addEventListener('keydown', onKey);
    void refresh(true);
  };
  button.addEventListener('click', () => (open ? close() : show()));

  renderCount();
  void refresh(true);
  timer = window.setInterval(() => void refresh(true), POLL_MS);
  current = { refresh: (force) => void refresh(force) };
  return wrap;
}
