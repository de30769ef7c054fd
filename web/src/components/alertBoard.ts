// Live acknowledgement board of a broadcast order (alert detail page, live broadcast page): how many
// devices are waiting, playing, done, interrupted or failed, and a table of the devices with their
// state, reason and time. While the order is on air and the board is on the page it follows the
// board's server-sent events (EventSource on GET …/devices, `event: board` at once and on every
// change); without EventSource, or when the stream fails for good (e.g. 503 too_many_streams), it
// polls the plain GET every 2 s instead. Either way it stops by itself once another view replaced
// it or the order is no longer live (the stream is closed: checked on each event and every second).
//
// `alertBoard(a)` is the board of an alert (GET /alerts/{id}/devices, test ids `alert-board-…`);
// `ackBoard({...})` the same board for another source of the same shape (e.g. a live session's
// GET /live/{id}/devices) with its own test-id prefix and its own idea of "still live".

import { alertApi } from '../api';
import { autoRefresh, h, messageBox, replace, uid } from '../dom';
import { errorText } from '../errors';
import { hasKey, t } from '../i18n';
import { ALERT_DEVICE_STATES, type Alert, type AlertDeviceRow, type AlertDevices, type AlertDeviceState } from '../types';
import { cell, unixTimeEl } from './alertBits';
import { spinner, unitLabel } from './bulletinBits';
import { deviceHref, fmtNumber } from './deviceBits';

const REFRESH_MS = 2_000;
/** How often a followed stream checks that the board is still on the page and the order live. */
const CHECK_MS = 1_000;
/** A board not yet put on the page this long after it was made counts as dropped. */
const ATTACH_MS = 5_000;
/** No first event this long after opening the stream (e.g. a buffering proxy): poll instead. */
const FIRST_EVENT_MS = 10_000;
/** Devices that have not confirmed playing: still waiting, or failed. */
const UNCONFIRMED: readonly AlertDeviceState[] = ['waiting', 'failed'];

export function ackLabel(s: string): string {
  const key = `alertboard.state.${s}`;
  return hasKey(key) ? t(key) : s;
}

export function alertBoard(a: Pick<Alert, 'id' | 'state' | 'order'>): HTMLElement {
  const live = a.state === 'broadcast';
  return ackBoard({
    testid: 'alert-board',
    fetch: () => alertApi.devices(a.id),
    events: alertApi.devicesEventsUrl(a.id),
    live: () => live,
    poll: live,
  });
}

export interface AckBoardOptions {
  /** Prefix of every test id (`<testid>`, `<testid>-row-<device>`, `<testid>-count-playing`…). */
  testid: string;
  /** The board as plain JSON: loaded once when not live, polled every 2 s as the fallback. */
  fetch: () => Promise<AlertDevices>;
  /**
   * Address of the board's server-sent events (same JSON as `fetch`, `event: board`), followed
   * with an EventSource while live. Without it the board polls `fetch`.
   */
  events?: string;
  /** Whether the order is still on air: the board keeps following it while it holds. */
  live: () => boolean;
  /** Follow the board at all (stream, else polling); otherwise it is loaded once. */
  poll: boolean;
}

/** A parsed `board` event that has the board's shape, else null. */
function parseBoard(data: unknown): AlertDevices | null {
  if (typeof data !== 'string') return null;
  try {
    const v = JSON.parse(data) as AlertDevices | null;
    return v && Array.isArray(v.devices) && v.counts && typeof v.counts === 'object' ? v : null;
  } catch {
    return null;
  }
}

export function ackBoard(opts: AckBoardOptions): HTMLElement {
  const p = opts.testid;
  const titleId = uid('board-title');
  const msg = messageBox(`${p}-msg`);
  const counts = h('div', { class: 'board-counts', testid: `${p}-counts` });
  const note = h('p', { class: 'hint refresh-note', testid: `${p}-note`, 'aria-live': 'off' });
  const tableBox = h('div', { class: 'table-wrap', testid: `${p}-table-wrap` }, spinner(t('app.loading')));
  const only = h('input', { type: 'checkbox', testid: `${p}-only-unconfirmed` });
  only.id = uid('only');
  let last: AlertDevices | null = null;
  let lastJson = '';
  /** The board currently comes from the event stream (for the note). */
  let streaming = false;

  const render = () => {
    if (!last) return;
    replace(counts, countCards(p, last.counts));
    const rows = only.checked ? last.devices.filter((d) => UNCONFIRMED.includes(d.state)) : last.devices;
    replace(tableBox, rows.length ? deviceTable(p, rows) : h('p', { class: 'empty', testid: `${p}-empty`, text: emptyText(last, only.checked) }));
  };

  const show = (next: AlertDevices) => {
    msg.clear();
    const json = JSON.stringify(next);
    if (json !== lastJson) {
      last = next;
      lastJson = json;
      render();
    }
    note.textContent = noteText(next, opts.poll && opts.live(), streaming);
  };

  const load = async () => {
    try {
      show(await opts.fetch());
    } catch (err) {
      if (!last) replace(tableBox);
      msg.error(errorText(err));
    }
  };
  only.addEventListener('change', render);

  const el = h(
    'section',
    { class: 'card alert-board', testid: p, 'data-live': String(opts.poll && opts.live()), 'aria-labelledby': titleId },
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

  // The caller puts the board on the page right after making it: until then (a few seconds at
  // most) it counts as on the page; once it has been there, leaving it is final.
  const born = Date.now();
  let seen = false;
  const alive = (): boolean => {
    if (el.isConnected) seen = true;
    const on = (el.isConnected || (!seen && Date.now() - born < ATTACH_MS)) && opts.live();
    el.setAttribute('data-live', String(on));
    return on;
  };

  const poll = () => autoRefresh(alive, load, REFRESH_MS)();

  const follow = (url: string) => {
    let es: EventSource;
    try {
      es = new EventSource(url);
    } catch {
      poll();
      return;
    }
    streaming = true;
    let got = false;
    let timer = 0;
    const opened = Date.now();
    const close = () => {
      es.close();
      window.clearInterval(timer);
      streaming = false;
    };
    const fallBack = () => {
      close();
      if (alive()) poll();
    };
    timer = window.setInterval(() => {
      if (!alive()) close();
      else if (!got && Date.now() - opened > FIRST_EVENT_MS) fallBack();
    }, CHECK_MS);
    es.addEventListener('board', (ev) => {
      if (!alive()) {
        close();
        return;
      }
      const next = parseBoard((ev as MessageEvent).data);
      if (!next) return;
      got = true;
      show(next);
    });
    es.addEventListener('error', () => {
      // CONNECTING: a dropped connection, the browser reconnects by itself (the server's `retry`).
      // CLOSED: refused for good (503 too_many_streams, 401, 404, not an event stream…).
      if (es.readyState === es.CLOSED) fallBack();
    });
  };

  if (!opts.poll) void load();
  else if (opts.events && typeof window.EventSource === 'function') follow(opts.events);
  else poll();
  return el;
}

function countCards(p: string, c: AlertDevices['counts']): HTMLElement[] {
  const card = (key: 'total' | AlertDeviceState, label: string) =>
    h(
      'div',
      { class: `count-card board-count board-count-${key}`, testid: `${p}-count-${key}`, 'data-value': String(c[key] ?? 0) },
      h('span', { class: 'count-value', text: fmtNumber(c[key] ?? 0) }),
      h('span', { class: 'count-label', text: label }),
    );
  return [card('total', t('alertboard.total')), ...ALERT_DEVICE_STATES.map((s) => card(s, ackLabel(s)))];
}

function noteText(d: AlertDevices, live: boolean, streaming: boolean): string {
  const parts: string[] = [];
  if (d.devices.length < d.counts.total) parts.push(t('alertboard.truncated', { n: fmtNumber(d.devices.length), total: fmtNumber(d.counts.total) }));
  const time = new Date().toLocaleTimeString(undefined, { hour12: false });
  if (live) parts.push(streaming ? t('alertboard.updatedLive', { time }) : t('alertboard.updated', { time }));
  return parts.join(' ');
}

function emptyText(d: AlertDevices, onlyUnconfirmed: boolean): string {
  if (!d.devices.length) return t('alertboard.none');
  return onlyUnconfirmed ? t('alertboard.allConfirmed') : t('alertboard.none');
}

function deviceTable(p: string, rows: AlertDeviceRow[]): HTMLElement {
  const cols = [t('alertboard.col.device'), t('alertboard.col.commune'), t('alertboard.col.online'), t('alertboard.col.state'), t('alertboard.col.reason'), t('alertboard.col.time')];
  return h(
    'table',
    { class: 'data-table alert-board-table', testid: `${p}-table` },
    h('caption', { class: 'sr-only', text: t('alertboard.caption') }),
    h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col', text: c })))),
    h(
      'tbody',
      null,
      rows.map((d) =>
        h(
          'tr',
          { testid: `${p}-row-${d.id}`, 'data-state': d.state, 'data-online': String(d.online) },
          cell(cols[0], null, h('a', { href: deviceHref(d.id), text: d.name || d.id }), h('span', { class: 'row-summary mono', text: d.id })),
          cell(cols[1], null, d.commune_code ? unitLabel(d.commune_code) : '—'),
          cell(cols[2], null, onlineDot(d.online)),
          cell(cols[3], null, h('span', { class: `badge ack ack-${d.state}`, testid: `${p}-state-${d.id}`, 'data-state': d.state, text: ackLabel(d.state) })),
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
