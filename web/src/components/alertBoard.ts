// Live acknowledgement board of an alert's broadcast order (alert detail page): how many devices
// are waiting, playing, done, interrupted or failed, and a table of the devices with their state,
// reason and time. Refreshes every 2 s while the alert is on air and the board is on the page
// (like the alerts list, it stops by itself once another view replaced it).

import { alertApi } from '../api';
import { autoRefresh, h, messageBox, replace, uid } from '../dom';
import { errorText } from '../errors';
import { hasKey, t } from '../i18n';
import { ALERT_DEVICE_STATES, type Alert, type AlertDeviceRow, type AlertDevices, type AlertDeviceState } from '../types';
import { cell, unixTimeEl } from './alertBits';
import { spinner, unitLabel } from './bulletinBits';
import { deviceHref, fmtNumber } from './deviceBits';

const REFRESH_MS = 2_000;
/** Devices that have not confirmed playing: still waiting, or failed. */
const UNCONFIRMED: readonly AlertDeviceState[] = ['waiting', 'failed'];

export function ackLabel(s: string): string {
  const key = `alertboard.state.${s}`;
  return hasKey(key) ? t(key) : s;
}

export function alertBoard(a: Pick<Alert, 'id' | 'state' | 'order'>): HTMLElement {
  const titleId = uid('board-title');
  const msg = messageBox('alert-board-msg');
  const counts = h('div', { class: 'board-counts', testid: 'alert-board-counts' });
  const note = h('p', { class: 'hint refresh-note', testid: 'alert-board-note', 'aria-live': 'off' });
  const tableBox = h('div', { class: 'table-wrap', testid: 'alert-board-table-wrap' }, spinner(t('app.loading')));
  const only = h('input', { type: 'checkbox', testid: 'alert-board-only-unconfirmed' });
  only.id = uid('only');
  const live = a.state === 'broadcast';
  let last: AlertDevices | null = null;
  let lastJson = '';

  const render = () => {
    if (!last) return;
    replace(counts, countCards(last.counts));
    const rows = only.checked ? last.devices.filter((d) => UNCONFIRMED.includes(d.state)) : last.devices;
    replace(tableBox, rows.length ? deviceTable(rows) : h('p', { class: 'empty', testid: 'alert-board-empty', text: emptyText(last, only.checked) }));
  };

  const load = async () => {
    try {
      const next = await alertApi.devices(a.id);
      msg.clear();
      const json = JSON.stringify(next);
      if (json !== lastJson) {
        last = next;
        lastJson = json;
        render();
      }
      note.textContent = noteText(next, live);
    } catch (err) {
      if (!last) replace(tableBox);
      msg.error(errorText(err));
    }
  };
  only.addEventListener('change', render);

  const el = h(
    'section',
    { class: 'card alert-board', testid: 'alert-board', 'data-live': String(live), 'aria-labelledby': titleId },
    h(
      'div',
      { class: 'card-head' },
      h('h2', { id: titleId, text: t('alertboard.title') }),
      h('div', { class: 'check-row' }, only, h('label', { for: only.id, text: t('alertboard.onlyUnconfirmed') })),
    ),
    counts,
    msg.el,
    note,
    tableBox,
  );
  if (live) autoRefresh(() => el.isConnected, load, REFRESH_MS)();
  else void load();
  return el;
}

function countCards(c: AlertDevices['counts']): HTMLElement[] {
  const card = (key: 'total' | AlertDeviceState, label: string) =>
    h(
      'div',
      { class: `count-card board-count board-count-${key}`, testid: `alert-board-count-${key}`, 'data-value': String(c[key] ?? 0) },
      h('span', { class: 'count-value', text: fmtNumber(c[key] ?? 0) }),
      h('span', { class: 'count-label', text: label }),
    );
  return [card('total', t('alertboard.total')), ...ALERT_DEVICE_STATES.map((s) => card(s, ackLabel(s)))];
}

function noteText(d: AlertDevices, live: boolean): string {
  const parts: string[] = [];
  if (d.devices.length < d.counts.total) parts.push(t('alertboard.truncated', { n: fmtNumber(d.devices.length), total: fmtNumber(d.counts.total) }));
  if (live) parts.push(t('alertboard.updated', { time: new Date().toLocaleTimeString(undefined, { hour12: false }) }));
  return parts.join(' ');
}

function emptyText(d: AlertDevices, onlyUnconfirmed: boolean): string {
  if (!d.devices.length) return t('alertboard.none');
  return onlyUnconfirmed ? t('alertboard.allConfirmed') : t('alertboard.none');
}

function deviceTable(rows: AlertDeviceRow[]): HTMLElement {
  const cols = [t('alertboard.col.device'), t('alertboard.col.commune'), t('alertboard.col.online'), t('alertboard.col.state'), t('alertboard.col.reason'), t('alertboard.col.time')];
  return h(
    'table',
    { class: 'data-table alert-board-table', testid: 'alert-board-table' },
    h('caption', { class: 'sr-only', text: t('alertboard.caption') }),
    h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col', text: c })))),
    h(
      'tbody',
      null,
      rows.map((d) =>
        h(
          'tr',
          { testid: `alert-board-row-${d.id}`, 'data-state': d.state, 'data-online': String(d.online) },
          cell(cols[0], null, h('a', { href: deviceHref(d.id), text: d.name || d.id }), h('span', { class: 'row-summary mono', text: d.id })),
          cell(cols[1], null, d.commune_code ? unitLabel(d.commune_code) : '—'),
          cell(cols[2], null, onlineDot(d.online)),
          cell(cols[3], null, h('span', { class: `badge ack ack-${d.state}`, testid: `alert-board-state-${d.id}`, 'data-state': d.state, text: ackLabel(d.state) })),
          cell(cols[4], null, d.reason || '—'),
          cell(cols[5], null, d.ts ? unixTimeEl(d.ts) : '—'),
        ),
      ),
    ),
  );
}

function onlineDot(online: boolean): HTMLElement {
  return h(
    'span',
    { class: `online-state ${online ? 'is-online' : 'is-offline'}` },
    h('span', { class: 'online-dot', 'aria-hidden': 'true' }),
    online ? t('alertboard.online') : t('alertboard.offline'),
  );
}
