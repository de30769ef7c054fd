// Play log (#/plays, #/plays/<device id>): filters (unit, device, from/to, type), the table of
// play reports (proof of play), and airtime per commune or per device as a CSS bar chart.

import { deviceApi } from '../api';
import { type View } from '../app';
import { fmtTime, spinner, unitLabel } from '../components/bulletinBits';
import { barChart } from '../components/barChart';
import { addDays, deviceHref, fmtSeconds, msToIso, toMs, vnToday } from '../components/deviceBits';
import { unitPicker } from '../components/unitPicker';
import { field, h, messageBox, replace } from '../dom';
import { errorText } from '../errors';
import { hasKey, t } from '../i18n';
import { PLAY_TYPES, type AirtimeRow, type PlayRecord } from '../types';

const PAGE = 100;

export function playTypeLabel(type: string): string {
  const key = `plays.type.${type}`;
  return hasKey(key) ? t(key) : type;
}

function reasonLabel(reason: string): string {
  const key = `plays.reason.${reason}`;
  return hasKey(key) ? t(key) : reason;
}

function when(v: string | number | null): string {
  return fmtTime(msToIso(toMs(v)));
}

function lengthOf(p: PlayRecord): string {
  const a = toMs(p.started);
  const b = toMs(p.ended);
  return Number.isFinite(a) && Number.isFinite(b) && b >= a ? fmtSeconds((b - a) / 1000) : '—';
}

/** What played: the programme slot, the broadcast order, or the media/stream. */
function whatOf(p: PlayRecord): string {
  const parts: string[] = [];
  if (p.slot) parts.push(t('plays.slot', { slot: p.slot }));
  if (p.order) parts.push(t('plays.order', { order: p.order }));
  if (p.url) parts.push(p.url);
  else if (p.sha256) parts.push(`${p.sha256.slice(0, 12)}…`);
  return parts.join(' · ') || '—';
}

export function playTable(items: PlayRecord[], testid: string, showDevice = true): HTMLElement {
  const cols = [
    t('plays.col.time'),
    showDevice ? t('plays.col.device') : null,
    t('plays.col.type'),
    t('plays.col.what'),
    t('plays.col.length'),
    t('plays.col.reason'),
  ].filter((c): c is string => c !== null);
  return h(
    'table',
    { class: 'data-table play-table', testid },
    h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col', text: c })))),
    h(
      'tbody',
      null,
      items.map((p) =>
        h(
          'tr',
          { testid: `play-row-${p.device_id}-${p.event_id}`, class: p.type === 'failed' || p.type === 'rejected' || p.type === 'fault' ? 'is-emergency' : undefined },
          h('td', { 'data-label': t('plays.col.time'), text: when(p.started ?? p.ts) }),
          showDevice
            ? h(
                'td',
                { 'data-label': t('plays.col.device') },
                h('a', { href: deviceHref(p.device_id), class: 'mono', text: p.device_id }),
                p.commune_code ? h('span', { class: 'row-summary' }, unitLabel(p.commune_code)) : null,
              )
            : null,
          h('td', { 'data-label': t('plays.col.type') }, h('span', { class: `badge play-${p.type}`, text: playTypeLabel(p.type) })),
          h('td', { 'data-label': t('plays.col.what'), class: 'play-what', text: whatOf(p) }),
          h('td', { 'data-label': t('plays.col.length'), text: lengthOf(p) }),
          h('td', { 'data-label': t('plays.col.reason'), text: p.reason ? reasonLabel(p.reason) : '—' }),
        ),
      ),
    ),
  );
}

export function playsView(): View {
  const msg = messageBox('plays-msg');
  const unit = unitPicker({ label: t('plays.filter.unit'), testid: 'plays-unit', compact: true });
  const device = h('input', { type: 'search', testid: 'plays-device', autocomplete: 'off', spellcheck: 'false', placeholder: 'd0123…' });
  const from = h('input', { type: 'date', testid: 'plays-from', value: addDays(vnToday(), -6) });
  const to = h('input', { type: 'date', testid: 'plays-to', value: vnToday() });
  const type = h(
    'select',
    { testid: 'plays-type' },
    h('option', { value: '', text: t('plays.filter.anyType') }),
    PLAY_TYPES.map((x) => h('option', { value: x, text: playTypeLabel(x) })),
  );
  const apply = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'plays-apply', text: t('plays.apply') });
  const by = h(
    'select',
    { testid: 'plays-by' },
    h('option', { value: 'commune', text: t('plays.by.commune') }),
    h('option', { value: 'device', text: t('plays.by.device') }),
  );
  const tableBox = h('div', { class: 'table-wrap', testid: 'plays-table-wrap', 'aria-live': 'polite' });
  const chartBox = h('div', { class: 'chart-box', testid: 'airtime-box', 'aria-live': 'polite' });
  const moreBox = h('div', { class: 'more' });
  let items: PlayRecord[] = [];
  let seq = 0;

  const query = () => ({
    unit: unit.value()?.code,
    device: device.value.trim() || undefined,
    from: from.value || undefined,
    to: to.value || undefined,
    type: type.value || undefined,
  });

  const renderChart = (rows: AirtimeRow[]) => {
    if (!rows.length) {
      replace(chartBox, h('p', { class: 'empty', testid: 'airtime-empty', text: t('plays.airtimeEmpty') }));
      return;
    }
    const sorted = [...rows].sort((a, b) => b.seconds - a.seconds).slice(0, 30);
    const total = rows.reduce((s, r) => s + r.seconds, 0);
    replace(
      chartBox,
      barChart({
        testid: 'airtime-chart',
        caption: t('plays.airtimeCaption', { total: fmtSeconds(total), n: rows.length }),
        bars: sorted.map((r) => ({
          key: r.key,
          label: r.name || r.key,
          value: r.seconds,
          text: t('plays.airtimeBar', { time: fmtSeconds(r.seconds), plays: r.plays }),
        })),
      }),
    );
  };

  const load = async (append: boolean) => {
    const mine = ++seq;
    msg.clear();
    if (from.value && to.value && from.value > to.value) {
      msg.error(t('plays.badRange'));
      return;
    }
    if (!append) {
      items = [];
      replace(tableBox, spinner(t('app.loading')));
      replace(chartBox, spinner(t('app.loading')));
    }
    const q = query();
    try {
      const [res, air] = await Promise.all([
        deviceApi.plays({ ...q, limit: PAGE, offset: append ? items.length : 0 }),
        append ? Promise.resolve(null) : deviceApi.airtime({ unit: q.unit, from: q.from, to: q.to, by: by.value === 'device' ? 'device' : 'commune' }).catch((e: unknown) => e),
      ]);
      if (mine !== seq) return;
      items = append ? [...items, ...res.items] : res.items;
      replace(tableBox, items.length ? playTable(items, 'plays-table') : h('p', { class: 'empty', testid: 'plays-empty', text: t('plays.empty') }));
      if (air instanceof Error) replace(chartBox, h('p', { class: 'msg msg-error', text: errorText(air) }));
      else if (air && 'rows' in (air as object)) renderChart((air as { rows: AirtimeRow[] }).rows);
      if (res.items.length >= PAGE) {
        const more = h('button', { type: 'button', class: 'btn', testid: 'plays-more', text: t('plays.more') });
        more.addEventListener('click', () => void load(true));
        replace(moreBox, more);
      } else replace(moreBox);
    } catch (err) {
      if (mine !== seq) return;
      replace(tableBox);
      replace(chartBox);
      msg.error(errorText(err));
    }
  };

  const form = h(
    'form',
    { class: 'card filters', role: 'search', 'aria-label': t('plays.filters'), testid: 'plays-filters' },
    h(
      'div',
      { class: 'filter-grid' },
      unit.el,
      field(t('plays.filter.device'), device),
      field(t('plays.filter.from'), from),
      field(t('plays.filter.to'), to),
      field(t('plays.filter.type'), type),
    ),
    h('div', { class: 'actions' }, apply),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void load(false);
  });
  for (const s of [type, by]) s.addEventListener('change', () => void load(false));

  const el = h(
    'section',
    { class: 'page plays-page' },
    h('div', { class: 'page-head' }, h('h1', { text: t('plays.title') })),
    form,
    msg.el,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'airtime-title' },
      h('div', { class: 'card-head' }, h('h2', { id: 'airtime-title', text: t('plays.airtime') }), field(t('plays.by'), by)),
      chartBox,
    ),
    h('h2', { text: t('plays.logTitle') }),
    tableBox,
    moreBox,
  );
  return {
    el,
    update(param) {
      if (param !== undefined) device.value = param;
      void load(false);
    },
  };
}
