// Devices dashboard (#/devices): counts for the caller's scope (online / offline / playing /
// total) with a unit filter, a Leaflet map of the devices, a searchable table, auto-refresh every
// 10 s, and the "broadcast now" dialog for operators.

import { deviceApi } from '../api';
import { state, type View } from '../app';
import { spinner, timeEl, unitLabel } from '../components/bulletinBits';
import { openBroadcastDialog } from '../components/broadcastDialog';
import { ago, canOperate, conditionBadge, deviceHref, deviceStatusLabel, fmtNumber, kindLabel } from '../components/deviceBits';
import { deviceMap } from '../components/deviceMap';
import { unitPicker } from '../components/unitPicker';
import { autoRefresh, field, h, messageBox, replace } from '../dom';
import { errorText } from '../errors';
import { t } from '../i18n';
import { DEVICE_STATUSES, type Device, type DeviceCounts, type UnitRef } from '../types';

const REFRESH_MS = 10_000;
const PAGE = 500;

// Filters survive list → detail → back, for the same signed-in user.
let saved: { user: number; unit: UnitRef | null; q: string; status: string; online: string } | null = null;

function filtersFor(userId: number) {
  if (!saved || saved.user !== userId) saved = { user: userId, unit: null, q: '', status: '', online: '' };
  return saved;
}

export function deviceTable(items: Device[], testid: string): HTMLElement {
  const cols = [
    t('dev.col.id'),
    t('dev.col.name'),
    t('dev.col.place'),
    t('dev.col.status'),
    t('dev.col.online'),
    t('dev.col.playing'),
    t('dev.col.volume'),
    t('dev.col.lastSeen'),
  ];
  return h(
    'table',
    { class: 'data-table device-table', testid },
    h('caption', { class: 'sr-only', text: t('dev.tableCaption') }),
    h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col', text: c })))),
    h(
      'tbody',
      null,
      items.map((d) => {
        const playing = d.online ? d.state?.playing : null;
        return h(
          'tr',
          { testid: `device-row-${d.id}`, 'data-condition': d.status },
          h('td', { 'data-label': t('dev.col.id') }, h('a', { href: deviceHref(d.id), class: 'mono device-link', testid: `device-link-${d.id}`, text: d.id })),
          h(
            'td',
            { 'data-label': t('dev.col.name') },
            h('span', { class: 'device-name', text: d.name || '—' }),
            h('span', { class: 'row-summary muted', text: kindLabel(d.kind) }),
          ),
          h(
            'td',
            { 'data-label': t('dev.col.place') },
            d.commune_code ? unitLabel(d.commune_code) : '—',
            d.village_code ? h('span', { class: 'row-summary' }, unitLabel(d.village_code)) : null,
          ),
          h('td', { 'data-label': t('dev.col.status'), testid: `device-status-${d.id}`, text: deviceStatusLabel(d.status) }),
          h('td', { 'data-label': t('dev.col.online') }, conditionBadge(d, `device-cond-${d.id}`)),
          h('td', {
            'data-label': t('dev.col.playing'),
            text: playing ? playing.title || playing.kind || t('dev.playingSomething') : '—',
          }),
          h('td', { 'data-label': t('dev.col.volume'), text: d.state?.volume !== undefined ? fmtNumber(d.state.volume) : '—' }),
          h('td', { 'data-label': t('dev.col.lastSeen') }, d.last_seen ? timeEl(d.last_seen) : h('span', { text: t('dev.never') }), d.last_seen ? h('span', { class: 'row-summary muted', text: ago(d.last_seen) }) : null),
        );
      }),
    ),
  );
}

export function devicesView(): View {
  const user = state.user;
  const f = filtersFor(user?.id ?? 0);
  const operate = canOperate(user);
  const msg = messageBox('devices-msg');

  const countBox = h('div', { class: 'count-cards', testid: 'device-counts' });
  const renderCounts = (c: DeviceCounts | null) => {
    const card = (key: 'total' | 'online' | 'offline' | 'playing', label: string) =>
      h(
        'div',
        { class: `count-card count-${key}`, testid: `count-${key}` },
        h('span', { class: 'count-value', testid: `count-${key}-value`, text: c ? fmtNumber(c[key]) : '…' }),
        h('span', { class: 'count-label', text: label }),
      );
    replace(
      countBox,
      card('online', t('dev.count.online')),
      card('offline', t('dev.count.offline')),
      card('playing', t('dev.count.playing')),
      card('total', t('dev.count.total')),
    );
  };
  renderCounts(null);

  const unit = unitPicker({ label: t('dev.filter.unit'), testid: 'dev-filter-unit', compact: true, initial: f.unit, hint: t('dev.filter.unitHint') });
  const q = h('input', { type: 'search', testid: 'dev-filter-q', value: f.q, placeholder: t('dev.filter.qPlaceholder'), autocomplete: 'off' });
  const status = h(
    'select',
    { testid: 'dev-filter-status' },
    h('option', { value: '', text: t('dev.filter.any') }),
    DEVICE_STATUSES.map((s) => h('option', { value: s, text: deviceStatusLabel(s) })),
  );
  status.value = f.status;
  const online = h(
    'select',
    { testid: 'dev-filter-online' },
    h('option', { value: '', text: t('dev.filter.any') }),
    h('option', { value: 'true', text: t('dev.cond.online') }),
    h('option', { value: 'false', text: t('dev.cond.offline') }),
  );
  online.value = f.online;

  const map = deviceMap({ testid: 'device-map', label: t('dev.map.label') });
  const tableBox = h('div', { class: 'table-wrap', testid: 'devices-table-wrap' });
  const updated = h('p', { class: 'hint refresh-note', testid: 'devices-updated', 'aria-live': 'off' });

  let seq = 0;
  let first = true;
  const load = async () => {
    const mine = ++seq;
    if (first) replace(tableBox, spinner(t('app.loading')));
    try {
      const res = await deviceApi.devices({
        unit: f.unit?.code || undefined,
        q: f.q.trim() || undefined,
        status: f.status || undefined,
        online: f.online || undefined,
        limit: PAGE,
      });
      if (mine !== seq) return;
      msg.clear();
      first = false;
      renderCounts(res.counts);
      map.setDevices(res.items);
      // Keep keyboard focus on the same link across refreshes.
      const focused = tableBox.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.testid : undefined;
      replace(
        tableBox,
        res.items.length ? deviceTable(res.items, 'devices-table') : h('p', { class: 'empty', testid: 'devices-empty', text: t('dev.empty') }),
      );
      if (focused) tableBox.querySelector<HTMLElement>(`[data-testid="${CSS.escape(focused)}"]`)?.focus();
      updated.textContent = t('dev.updated', { time: new Date().toLocaleTimeString(undefined, { hour12: false }) });
    } catch (err) {
      if (mine !== seq) return;
      if (first) replace(tableBox);
      msg.error(errorText(err));
    }
  };
  const reload = autoRefresh(() => el.isConnected, load, REFRESH_MS);

  unit.onChange((u) => {
    f.unit = u;
    if (u || !unit.input.value.trim()) reload();
  });
  unit.input.addEventListener('input', () => {
    if (!unit.input.value.trim() && f.unit) {
      f.unit = null;
      reload();
    }
  });
  let qTimer: number | undefined;
  q.addEventListener('input', () => {
    window.clearTimeout(qTimer);
    qTimer = window.setTimeout(() => {
      f.q = q.value;
      reload();
    }, 300);
  });
  for (const s of [status, online]) {
    s.addEventListener('change', () => {
      f.status = status.value;
      f.online = online.value;
      reload();
    });
  }
  const filters = h(
    'form',
    { class: 'card filters', role: 'search', 'aria-label': t('dev.filters'), testid: 'device-filters' },
    h('div', { class: 'filter-grid' }, unit.el, field(t('dev.filter.q'), q), field(t('dev.filter.status'), status), field(t('dev.filter.online'), online)),
  );
  filters.addEventListener('submit', (ev) => {
    ev.preventDefault();
    window.clearTimeout(qTimer);
    f.q = q.value;
    reload();
  });

  const broadcastBtn = operate
    ? h('button', {
        type: 'button',
        class: 'btn btn-danger',
        testid: 'broadcast-open',
        text: t('dev.broadcast'),
        on: { click: () => openBroadcastDialog({ areas: f.unit ? [f.unit.code] : [] }) },
      })
    : null;

  const el = h(
    'section',
    { class: 'page devices-page' },
    h(
      'div',
      { class: 'page-head' },
      h('h1', { text: t('dev.title') }),
      h(
        'div',
        { class: 'row-actions' },
        broadcastBtn,
        operate ? h('a', { class: 'btn btn-primary', href: '#/devices/new', testid: 'device-new', text: t('dev.new') }) : null,
        operate ? h('a', { class: 'btn', href: '#/devices/import', testid: 'device-import', text: t('dev.import') }) : null,
      ),
    ),
    operate ? null : h('p', { class: 'msg msg-info', testid: 'devices-readonly', text: t('dev.readOnly') }),
    filters,
    msg.el,
    countBox,
    h('section', { class: 'card map-card', 'aria-labelledby': 'dev-map-title' }, h('h2', { id: 'dev-map-title', text: t('dev.map.title') }), map.el),
    h('h2', { text: t('dev.listTitle') }),
    updated,
    tableBox,
  );
  reload();
  return { el };
}
