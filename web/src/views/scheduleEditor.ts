// Programme editor (#/schedule/new, #/schedule/<id>): name, owner unit, targets (units, villages,
// device groups), recurrence (every day / weekdays / chosen weekdays / once / custom RRULE), first
// and last date, exceptions, start time, duration, priority and the playlist (published bulletins,
// intro/outro tune, stream). A 409 schedule_overlap answer lists the conflicting programmes.

import { ApiBodyError, deviceApi } from '../api';
import { flash, navigate, state, type View } from '../app';
import { spinner, unitInfo, unitLabel } from '../components/bulletinBits';
import { bulletinSelect, type BulletinSelect } from '../components/bulletinSelect';
import { canOperate, vnToday } from '../components/deviceBits';
import { unitChips } from '../components/unitChips';
import { unitPicker } from '../components/unitPicker';
import { busy, field, h, messageBox, replace, uid } from '../dom';
import { errorText } from '../errors';
import { labelOf, t } from '../i18n';
import { PRIORITIES, type DeviceGroup, type Priority, type Programme, type ProgrammeInput, type ProgrammeItem, type ScheduleConflict } from '../types';

const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
type Preset = 'daily' | 'weekdays' | 'days' | 'once' | 'custom';
const PRESETS: readonly Preset[] = ['daily', 'weekdays', 'days', 'once', 'custom'];
const RRULE_RE = /^FREQ=(DAILY|WEEKLY|MONTHLY|YEARLY)(;[A-Z]+=[A-Z0-9,+-]+)*$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

function normRule(rrule: string): string {
  return rrule.trim().replace(/^RRULE:/i, '').toUpperCase();
}

/** Recognises the presets in an RRULE. */
export function parsePreset(rrule: string): { preset: Preset; days: string[] } {
  const r = normRule(rrule);
  if (r === 'FREQ=DAILY' || r === '') return { preset: 'daily', days: [] };
  if (r === 'FREQ=DAILY;COUNT=1') return { preset: 'once', days: [] };
  const m = /^FREQ=WEEKLY;BYDAY=([A-Z,]+)$/.exec(r);
  if (m?.[1]) {
    const days = m[1].split(',');
    if (days.every((d) => (WEEKDAYS as readonly string[]).includes(d))) {
      const sorted = WEEKDAYS.filter((d) => days.includes(d));
      if (sorted.join(',') === 'MO,TU,WE,TH,FR') return { preset: 'weekdays', days: sorted };
      return { preset: 'days', days: sorted };
    }
  }
  return { preset: 'custom', days: [] };
}

/** A short human description of a programme's recurrence. */
export function describeRrule(rrule: string): string {
  const { preset, days } = parsePreset(rrule);
  if (preset === 'days') return t('sch.rec.daysList', { days: days.map((d) => t(`sch.day.${d as (typeof WEEKDAYS)[number]}`)).join(', ') });
  if (preset === 'custom') return normRule(rrule);
  return t(`sch.rec.${preset}`);
}

function itemLabel(item: ProgrammeItem, bulletins: BulletinSelect): string {
  switch (item.kind) {
    case 'bulletin':
      return t('sch.item.bulletin', { title: item.title || bulletins.titleOf(item.bulletin_id) });
    case 'media':
      return t('sch.item.media', { title: item.title || `${item.sha256.slice(0, 12)}…` });
    case 'stream':
      return t('sch.item.stream', { title: item.title || item.url, min: Math.round(item.duration_s / 60) });
    case 'intro':
      return t('sch.item.intro');
    case 'outro':
      return t('sch.item.outro');
  }
}

function conflictBox(err: ApiBodyError): HTMLElement {
  const conflicts = (err.body as { conflicts?: ScheduleConflict[] } | null)?.conflicts ?? [];
  // One line per conflicting programme: its first dates, then how many more.
  const byProgramme = new Map<number, ScheduleConflict[]>();
  for (const c of conflicts) byProgramme.set(c.programme_id, [...(byProgramme.get(c.programme_id) ?? []), c]);
  const SHOWN = 4;
  return h(
    'div',
    { class: 'msg msg-error conflict-box', role: 'alert', testid: 'programme-conflict' },
    h('p', null, h('strong', { text: t('sch.conflictTitle') }), ' ', t('sch.conflictText')),
    err.message ? h('p', { class: 'hint', text: err.message }) : null,
    byProgramme.size
      ? h(
          'ul',
          { class: 'conflict-list' },
          [...byProgramme.entries()].slice(0, 20).map(([id, list]) => {
            const first = list[0] as ScheduleConflict;
            const devices = Math.max(...list.map((c) => (Array.isArray(c.devices) ? c.devices.length : Number(c.devices) || 0)));
            const dates = list.slice(0, SHOWN).map((c) => t('sch.conflictWhen', { date: c.date, time: c.start_time }));
            return h(
              'li',
              { testid: `conflict-${id}` },
              h('a', { href: `#/schedule/${id}`, text: first.name || `#${id}` }),
              ` — ${dates.join('; ')}`,
              list.length > SHOWN ? ` ${t('sch.conflictMore', { n: list.length - SHOWN })}` : '',
              devices ? ` · ${t('sch.conflictDevices', { n: devices })}` : '',
            );
          }),
        )
      : null,
  );
}

function editorForm(p: Programme | null): HTMLElement {
  const operate = canOperate();
  const msg = messageBox('programme-msg');
  const conflict = h('div', { 'aria-live': 'assertive' });
  const name = h('input', { type: 'text', testid: 'pg-name', value: p?.name ?? '', maxlength: '200', required: true, autocomplete: 'off' });
  const ownerInitial = p ? { code: p.owner_unit, name: p.owner_unit } : state.user ? { code: state.user.unit_code, name: state.user.unit_name || state.user.unit_code } : null;
  const owner = unitPicker({ label: t('sch.f.owner'), testid: 'pg-owner', initial: ownerInitial });
  if (p) void unitInfo(p.owner_unit).then((u) => u && owner.set({ code: u.code, name: u.name }));
  const targets = unitChips({ legend: t('sch.f.targets'), testid: 'pg-targets', initial: p?.target_units ?? [], hint: t('sch.f.targetsHint') });

  // Device groups (checkboxes), loaded for the owner unit.
  const groupBox = h('fieldset', { class: 'targets', testid: 'pg-groups' }, h('legend', { text: t('sch.f.groups') }), h('p', { class: 'hint', text: t('app.loading') }));
  let chosenGroups = new Set<number>(p?.target_groups ?? []);
  const loadGroups = async () => {
    try {
      const res = await deviceApi.groups(owner.value()?.code);
      const list: DeviceGroup[] = res.items;
      replace(
        groupBox,
        h('legend', { text: t('sch.f.groups') }),
        list.length
          ? list.map((g) => {
              const cb = h('input', { type: 'checkbox', testid: `pg-group-${g.id}`, checked: chosenGroups.has(g.id) });
              cb.addEventListener('change', () => {
                if (cb.checked) chosenGroups.add(g.id);
                else chosenGroups.delete(g.id);
              });
              return h('label', { class: 'check-row' }, cb, h('span', { text: `${g.name} (${t('sch.f.groupSize', { n: g.device_ids.length })})` }));
            })
          : h('p', { class: 'hint', text: t('sch.f.noGroups') }),
      );
    } catch {
      replace(groupBox, h('legend', { text: t('sch.f.groups') }), h('p', { class: 'hint', text: t('sch.f.groupsUnavailable') }));
    }
  };
  void loadGroups();
  owner.onChange((u) => {
    if (u) void loadGroups();
  });

  // Recurrence.
  const initial = parsePreset(p?.rrule ?? 'FREQ=DAILY');
  const presetName = uid('preset');
  const presetRadios = PRESETS.map((pr) => {
    const r = h('input', { type: 'radio', name: presetName, value: pr, testid: `pg-rec-${pr}`, checked: pr === initial.preset });
    return { pr, r, label: h('label', { class: 'check-row' }, r, h('span', { text: t(`sch.rec.${pr}`) })) };
  });
  const dayBoxes = WEEKDAYS.map((d) => {
    const cb = h('input', { type: 'checkbox', value: d, testid: `pg-day-${d}`, checked: initial.days.includes(d) });
    return { d, cb, label: h('label', { class: 'check-row day-check' }, cb, h('span', { text: t(`sch.day.${d}`) })) };
  });
  const daysRow = h('div', { class: 'day-row', role: 'group', 'aria-label': t('sch.f.days') }, dayBoxes.map((x) => x.label));
  const custom = h('input', { type: 'text', testid: 'pg-rrule', value: initial.preset === 'custom' ? normRule(p?.rrule ?? '') : '', spellcheck: 'false', autocomplete: 'off', placeholder: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=SA' });
  const customField = field(t('sch.f.rrule'), custom, t('sch.f.rruleHint'));
  const preset = (): Preset => presetRadios.find((x) => x.r.checked)?.pr ?? 'daily';
  const first = h('input', { type: 'date', testid: 'pg-first', value: p?.first_date ?? vnToday(), required: true });
  const last = h('input', { type: 'date', testid: 'pg-last', value: p?.last_date ?? '' });
  const lastField = field(t('sch.f.last'), last, t('sch.f.lastHint'));
  const syncPreset = () => {
    const pr = preset();
    daysRow.hidden = pr !== 'days';
    customField.hidden = pr !== 'custom';
    lastField.hidden = pr === 'once';
  };
  for (const x of presetRadios) x.r.addEventListener('change', syncPreset);
  syncPreset();
  const exdates = h('input', { type: 'text', testid: 'pg-exdates', value: (p?.exdates ?? []).join(', '), spellcheck: 'false', autocomplete: 'off', placeholder: '2026-12-24, 2027-01-01' });
  const start = h('input', { type: 'time', testid: 'pg-start', value: p?.start_time ?? '06:00', required: true, step: '60' });
  const duration = h('input', { type: 'number', testid: 'pg-duration', value: String(p?.duration_minutes ?? 30), min: '1', max: '1440', step: '1', required: true });
  const priority = h('select', { testid: 'pg-priority' }, PRIORITIES.map((x) => h('option', { value: x, text: labelOf('priority', x) })));
  priority.value = p?.priority ?? 'normal';
  const enabled = h('input', { type: 'checkbox', testid: 'pg-enabled', checked: p ? p.enabled : true });

  // Playlist.
  let items: ProgrammeItem[] = [...(p?.items ?? [])];
  const bulletins = bulletinSelect('pg-bulletin');
  const itemList = h('ol', { class: 'playlist', testid: 'pg-items', 'aria-live': 'polite' });
  const renderItems = () => {
    if (!items.length) {
      replace(itemList, h('li', { class: 'hint', testid: 'pg-items-empty', text: t('sch.items.empty') }));
      return;
    }
    replace(
      itemList,
      items.map((it, i) => {
        const label = itemLabel(it, bulletins);
        const btn = (text: string, aria: string, testid: string, fn: () => void, disabled = false) =>
          h('button', { type: 'button', class: 'btn btn-small btn-ghost', 'aria-label': aria, testid, text, disabled, on: { click: fn } });
        return h(
          'li',
          { class: 'playlist-item', testid: `pg-item-${i}` },
          h('span', { class: 'playlist-label', text: label }),
          h(
            'span',
            { class: 'row-actions' },
            btn('↑', t('sch.items.up', { item: label }), `pg-item-up-${i}`, () => {
              [items[i - 1], items[i]] = [items[i] as ProgrammeItem, items[i - 1] as ProgrammeItem];
              renderItems();
              itemList.querySelector<HTMLButtonElement>(`[data-testid="pg-item-up-${i - 1}"]`)?.focus();
            }, i === 0),
            btn('↓', t('sch.items.down', { item: label }), `pg-item-down-${i}`, () => {
              [items[i + 1], items[i]] = [items[i] as ProgrammeItem, items[i + 1] as ProgrammeItem];
              renderItems();
              itemList.querySelector<HTMLButtonElement>(`[data-testid="pg-item-down-${i + 1}"]`)?.focus();
            }, i === items.length - 1),
            btn('×', t('sch.items.remove', { item: label }), `pg-item-remove-${i}`, () => {
              items.splice(i, 1);
              renderItems();
            }),
          ),
        );
      }),
    );
  };
  void bulletins.ready.then(renderItems);
  renderItems();
  const itemMsg = messageBox('pg-item-msg');
  const addBulletin = h('button', { type: 'button', class: 'btn', testid: 'pg-add-bulletin', text: t('sch.items.addBulletin') });
  addBulletin.addEventListener('click', () => {
    itemMsg.clear();
    const id = bulletins.value();
    if (!id) return itemMsg.error(t('sch.items.pickBulletin'));
    items.push({ kind: 'bulletin', bulletin_id: id, title: bulletins.titleOf(id) });
    renderItems();
  });
  const addIntro = h('button', { type: 'button', class: 'btn', testid: 'pg-add-intro', text: t('sch.items.addIntro'), on: { click: () => { items.unshift({ kind: 'intro' }); renderItems(); } } });
  const addOutro = h('button', { type: 'button', class: 'btn', testid: 'pg-add-outro', text: t('sch.items.addOutro'), on: { click: () => { items.push({ kind: 'outro' }); renderItems(); } } });
  const streamUrl = h('input', { type: 'url', testid: 'pg-stream-url', placeholder: 'http://…/vov1.ogg', autocomplete: 'off', spellcheck: 'false' });
  const streamTitle = h('input', { type: 'text', testid: 'pg-stream-title', placeholder: 'VOV1', autocomplete: 'off' });
  const streamMin = h('input', { type: 'number', testid: 'pg-stream-minutes', min: '1', max: '1440', value: '15' });
  const addStream = h('button', { type: 'button', class: 'btn', testid: 'pg-add-stream', text: t('sch.items.addStream') });
  addStream.addEventListener('click', () => {
    itemMsg.clear();
    const url = streamUrl.value.trim();
    if (!/^https?:\/\/\S+$/i.test(url)) {
      streamUrl.setAttribute('aria-invalid', 'true');
      return itemMsg.error(t('sch.items.badUrl'));
    }
    streamUrl.removeAttribute('aria-invalid');
    const minutes = Math.max(1, Math.min(1440, Number(streamMin.value) || 15));
    items.push({ kind: 'stream', url, duration_s: minutes * 60, title: streamTitle.value.trim() || undefined });
    streamUrl.value = '';
    streamTitle.value = '';
    renderItems();
  });
  const playlistBox = h(
    'fieldset',
    { class: 'targets playlist-box' },
    h('legend', { text: t('sch.f.items') }),
    itemList,
    h('div', { class: 'inline-form' }, field(t('sch.items.bulletin'), bulletins.el), addBulletin),
    h('div', { class: 'row-actions' }, addIntro, addOutro),
    h('div', { class: 'form-grid compact' }, field(t('sch.items.streamUrl'), streamUrl), field(t('sch.items.streamTitle'), streamTitle), field(t('sch.items.streamMinutes'), streamMin)),
    h('div', { class: 'row-actions' }, addStream),
    itemMsg.el,
  );

  const save = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'pg-save', text: p ? t('sch.save') : t('sch.create') });
  const del = p ? h('button', { type: 'button', class: 'btn btn-danger', testid: 'pg-delete', text: t('sch.delete') }) : null;
  const fieldset = h(
    'fieldset',
    { class: 'plain-fieldset', disabled: !operate },
    h('div', { class: 'form-grid' }, field(t('sch.f.name'), name), h('div', { class: 'field-slot' }, owner.el)),
    targets.el,
    groupBox,
    h(
      'fieldset',
      { class: 'targets', testid: 'pg-recurrence' },
      h('legend', { text: t('sch.f.recurrence') }),
      h('div', { class: 'preset-row' }, presetRadios.map((x) => x.label)),
      daysRow,
      customField,
      h('div', { class: 'form-grid compact' }, field(t('sch.f.first'), first), lastField, field(t('sch.f.start'), start), field(t('sch.f.duration'), duration)),
      field(t('sch.f.exdates'), exdates, t('sch.f.exdatesHint')),
    ),
    h('div', { class: 'form-grid compact' }, field(t('sch.f.priority'), priority)),
    h('label', { class: 'check-row' }, enabled, h('span', { text: t('sch.f.enabled') })),
    playlistBox,
  );
  const form = h(
    'form',
    { class: 'card programme-form', novalidate: true, testid: 'programme-form' },
    fieldset,
    conflict,
    msg.el,
    operate ? h('div', { class: 'actions' }, save, del, h('a', { class: 'btn btn-ghost', href: '#/schedule', text: t('dev.cancel') })) : null,
  );

  const invalid = (ctl: HTMLElement, text: string) => {
    ctl.setAttribute('aria-invalid', 'true');
    ctl.focus();
    msg.error(text);
  };
  const read = (): ProgrammeInput | null => {
    for (const c of form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
    if (!name.value.trim()) return invalid(name, t('sch.err.name')), null;
    const o = owner.value();
    if (!o) return invalid(owner.input, t('sch.err.owner')), null;
    const units = targets.values();
    if (!units.length && !chosenGroups.size) return invalid(targets.el.querySelector('input') ?? name, t('sch.err.targets')), null;
    const pr = preset();
    let rrule = 'FREQ=DAILY';
    if (pr === 'weekdays') rrule = 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR';
    else if (pr === 'once') rrule = 'FREQ=DAILY;COUNT=1';
    else if (pr === 'days') {
      const days = dayBoxes.filter((x) => x.cb.checked).map((x) => x.d);
      if (!days.length) return invalid(dayBoxes[0]?.cb ?? name, t('sch.err.days')), null;
      rrule = `FREQ=WEEKLY;BYDAY=${days.join(',')}`;
    } else if (pr === 'custom') {
      rrule = normRule(custom.value);
      if (!RRULE_RE.test(rrule)) return invalid(custom, t('sch.err.rrule')), null;
    }
    if (!DATE_RE.test(first.value)) return invalid(first, t('sch.err.first')), null;
    const lastDate = pr === 'once' ? first.value : last.value || null;
    if (lastDate && lastDate < first.value) return invalid(last, t('sch.err.last')), null;
    const ex = exdates.value.split(/[\s,;]+/).filter(Boolean);
    const badEx = ex.find((d) => !DATE_RE.test(d));
    if (badEx) return invalid(exdates, t('sch.err.exdate', { date: badEx })), null;
    if (!/^\d{2}:\d{2}$/.test(start.value)) return invalid(start, t('sch.err.start')), null;
    const dur = Number(duration.value);
    if (!Number.isInteger(dur) || dur < 1 || dur > 1440) return invalid(duration, t('sch.err.duration')), null;
    if (!items.length) return invalid(bulletins.el, t('sch.err.items')), null;
    return {
      name: name.value.trim(),
      owner_unit: o.code,
      priority: priority.value as Priority,
      target_units: units,
      target_groups: [...chosenGroups],
      rrule,
      first_date: first.value,
      last_date: lastDate,
      exdates: ex,
      start_time: start.value,
      duration_minutes: dur,
      // Titles of bulletins are for display here only; the server takes the id.
      items: items.map((it) => (it.kind === 'bulletin' ? { kind: 'bulletin', bulletin_id: it.bulletin_id } : it)),
      enabled: enabled.checked,
    };
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    msg.clear();
    replace(conflict);
    const body = read();
    if (!body) return;
    void busy(
      [save, ...(del ? [del] : [])],
      async () => {
        try {
          const saved = p ? await deviceApi.updateProgramme(p.id, body) : await deviceApi.createProgramme(body);
          flash(p ? t('sch.saved', { name: saved.name }) : t('sch.created', { name: saved.name }));
          navigate('#/schedule');
        } catch (err) {
          if (err instanceof ApiBodyError && err.code === 'schedule_overlap') {
            replace(conflict, conflictBox(err));
            conflict.scrollIntoView({ block: 'nearest' });
          } else msg.error(errorText(err));
        }
      },
      { el: save, busyText: t('common.busy') },
    );
  });
  del?.addEventListener('click', () => {
    if (!p || !window.confirm(t('sch.confirmDelete', { name: p.name }))) return;
    void busy([save, del], async () => {
      try {
        await deviceApi.deleteProgramme(p.id);
        flash(t('sch.deleted', { name: p.name }));
        navigate('#/schedule');
      } catch (err) {
        msg.error(errorText(err));
      }
    });
  });
  return form;
}

export function scheduleEditorView(): View {
  const box = h('div', null);
  const titleEl = h('h1', { testid: 'programme-title' });
  const el = h('section', { class: 'page programme-page' }, h('p', { class: 'back' }, h('a', { href: '#/schedule', text: t('sch.back') })), titleEl, box);
  return {
    el,
    update(param) {
      if (!param || param === 'new') {
        titleEl.textContent = t('sch.newTitle');
        replace(box, editorForm(null));
        box.querySelector<HTMLInputElement>('[data-testid="pg-name"]')?.focus();
        return;
      }
      titleEl.textContent = t('sch.editTitle');
      replace(box, spinner(t('app.loading')));
      void deviceApi.programme(Number(param)).then(
        (p) => {
          titleEl.textContent = t('sch.editTitleName', { name: p.name });
          replace(box, h('p', { class: 'hint' }, t('sch.f.owner'), ': ', unitLabel(p.owner_unit)), editorForm(p));
        },
        (err: unknown) => replace(box, h('p', { class: 'msg msg-error', role: 'alert', text: errorText(err) })),
      );
    },
  };
}
