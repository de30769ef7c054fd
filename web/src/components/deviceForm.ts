// The registry fields of a device (cụm loa or bảng điện tử): used to register one and to edit it.

import { field, h } from '../dom';
import { t } from '../i18n';
import { DEVICE_KINDS, type Device, type DeviceInput } from '../types';
import { unitInfo } from './bulletinBits';
import { kindLabel } from './deviceBits';
import { unitPicker } from './unitPicker';

export interface DeviceFields {
  el: HTMLElement;
  /** The values, or an error sentence when one is invalid (the field is marked and focused). */
  read(): DeviceInput | string;
  setDisabled(disabled: boolean): void;
}

function num(v: number | null | undefined): string {
  return v === null || v === undefined ? '' : String(v);
}

export function deviceFields(prefix: string, d: Device | null): DeviceFields {
  const kind = h(
    'select',
    { testid: `${prefix}-kind` },
    DEVICE_KINDS.map((k) => h('option', { value: k, text: kindLabel(k) })),
  );
  kind.value = d?.kind ?? 'cluster';
  const text = (name: string, value: string, extra: Record<string, unknown> = {}) =>
    h('input', { type: 'text', testid: `${prefix}-${name}`, value, autocomplete: 'off', maxlength: '120', ...extra });
  const name = text('name', d?.name ?? '', { required: true });
  const serial = text('serial', d?.serial ?? '', { spellcheck: 'false' });
  const imei = text('imei', d?.imei ?? '', { inputmode: 'numeric', pattern: '[0-9]{14,16}', spellcheck: 'false' });
  const vendor = text('vendor', d?.vendor ?? '');
  const model = text('model', d?.model ?? '');
  const firmware = text('firmware', d?.firmware ?? '', { spellcheck: 'false' });
  const numeric = (nm: string, value: string, attrs: Record<string, unknown>) =>
    h('input', { type: 'number', testid: `${prefix}-${nm}`, value, inputmode: 'decimal', ...attrs });
  const lat = numeric('lat', num(d?.lat), { step: 'any', min: '-90', max: '90' });
  const lon = numeric('lon', num(d?.lon), { step: 'any', min: '-180', max: '180' });
  const horns = numeric('horns', num(d?.horns), { step: '1', min: '0', max: '64' });
  const watts = numeric('watts', num(d?.watts), { step: '1', min: '0', max: '10000' });
  const initialCode = d ? d.village_code || d.commune_code : '';
  const place = unitPicker({
    label: t('dev.f.place'),
    testid: `${prefix}-place`,
    initial: initialCode ? { code: initialCode, name: initialCode } : null,
    filter: (u) => u.level === 'commune' || u.level === 'village',
    hint: t('dev.f.placeHint'),
  });

  // Show the unit's name instead of its bare code once known.
  if (initialCode) {
    void unitInfo(initialCode).then((u) => {
      if (u && place.value()?.code === u.code) place.set({ code: u.code, name: u.name });
    });
  }

  const controls = [kind, name, serial, imei, vendor, model, firmware, lat, lon, horns, watts, place.input];
  const el = h(
    'div',
    { class: 'form-grid' },
    field(t('dev.f.kind'), kind),
    field(t('dev.f.name'), name),
    field(t('dev.f.serial'), serial),
    field(t('dev.f.imei'), imei, t('dev.f.imeiHint')),
    field(t('dev.f.vendor'), vendor),
    field(t('dev.f.model'), model),
    field(t('dev.f.firmware'), firmware),
    h('div', { class: 'field-slot wide' }, place.el),
    field(t('dev.f.lat'), lat),
    field(t('dev.f.lon'), lon),
    field(t('dev.f.horns'), horns),
    field(t('dev.f.watts'), watts),
  );

  const bad = (ctl: HTMLInputElement, message: string): string => {
    ctl.setAttribute('aria-invalid', 'true');
    ctl.focus();
    return message;
  };
  const optNum = (ctl: HTMLInputElement): number | null | undefined => {
    const v = ctl.value.trim();
    if (!v) return null;
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  };

  return {
    el,
    setDisabled: (disabled) => {
      for (const c of controls) c.disabled = disabled;
    },
    read: () => {
      for (const c of controls) c.removeAttribute('aria-invalid');
      if (!name.value.trim()) return bad(name, t('dev.f.needName'));
      if (imei.value.trim() && !/^\d{14,16}$/.test(imei.value.trim())) return bad(imei, t('dev.f.badImei'));
      const chosen = place.value();
      if (!chosen) return bad(place.input, t('dev.f.needPlace'));
      const latV = optNum(lat);
      const lonV = optNum(lon);
      if (latV === undefined || (latV !== null && (latV < -90 || latV > 90))) return bad(lat, t('dev.f.badLat'));
      if (lonV === undefined || (lonV !== null && (lonV < -180 || lonV > 180))) return bad(lon, t('dev.f.badLon'));
      if ((latV === null) !== (lonV === null)) return bad(latV === null ? lat : lon, t('dev.f.bothCoords'));
      const hornsV = optNum(horns);
      const wattsV = optNum(watts);
      if (hornsV === undefined || (hornsV !== null && hornsV < 0)) return bad(horns, t('dev.f.badNumber'));
      if (wattsV === undefined || (wattsV !== null && wattsV < 0)) return bad(watts, t('dev.f.badNumber'));
      const village = chosen.code.includes('-') ? chosen.code : '';
      const commune = chosen.code.split('-')[0] ?? chosen.code;
      return {
        kind: kind.value,
        name: name.value.trim(),
        serial: serial.value.trim(),
        imei: imei.value.trim(),
        vendor: vendor.value.trim(),
        model: model.value.trim(),
        firmware: firmware.value.trim(),
        commune_code: commune,
        village_code: village,
        lat: latV,
        lon: lonV,
        horns: hornsV,
        watts: wattsV,
      };
    },
  };
}
