// Device detail (#/devices/<id>): registry fields (editable by operators), live state, actions
// (volume, power, reboot, provision, decommission) and the device's recent play log.

import { deviceApi } from '../api';
import { flash, navigate, type View } from '../app';
import { spinner, timeEl, unitLabel } from '../components/bulletinBits';
import { ago, canOperate, conditionBadge, deviceStatusLabel, fmtBytes, fmtNumber, kindLabel } from '../components/deviceBits';
import { deviceFields } from '../components/deviceForm';
import { busy, h, messageBox, replace } from '../dom';
import { errorText } from '../errors';
import { labelOf, t } from '../i18n';
import type { Device, ProvisionResult } from '../types';
import { playTable } from './plays';

const REFRESH_MS = 10_000;

function facts(rows: [string, Node | string, string?][]): HTMLElement {
  return h(
    'dl',
    { class: 'facts' },
    rows.flatMap(([k, v, testid]) => [h('dt', { text: k }), h('dd', { testid }, v)]),
  );
}

function dash(v: string | number | null | undefined): string {
  return v === null || v === undefined || v === '' ? '—' : String(v);
}

export function devicesDetailView(): View {
  const operate = canOperate();
  const msg = messageBox('device-msg');
  const head = h('div', { class: 'page-head detail-head' });
  const registry = h('section', { class: 'card', 'aria-labelledby': 'dd-reg-title', testid: 'device-registry' });
  const live = h('section', { class: 'card', 'aria-labelledby': 'dd-live-title', testid: 'device-live' });
  const actions = h('section', { class: 'card actions-card', 'aria-labelledby': 'dd-act-title', testid: 'device-actions' });
  const provisionBox = h('div', { class: 'provision-box', 'aria-live': 'polite' });
  const plays = h('section', { class: 'card', 'aria-labelledby': 'dd-plays-title', testid: 'device-plays' });
  const body = h('div', { class: 'device-detail' }, spinner(t('app.loading')));
  let id = '';
  let device: Device | null = null;
  let editing = false;
  let built = false;
  let regStamp = '';
  let timer: number | undefined;
  let seq = 0;

  // ---- registry ---------------------------------------------------------------------------------
  const renderRegistry = (d: Device) => {
    const title = h('h2', { id: 'dd-reg-title', text: t('dev.d.registry') });
    if (editing) {
      const fields = deviceFields('de', d);
      const save = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'de-save', text: t('dev.d.save') });
      const cancel = h('button', {
        type: 'button',
        class: 'btn btn-ghost',
        testid: 'de-cancel',
        text: t('dev.cancel'),
        on: {
          click: () => {
            editing = false;
            renderRegistry(d);
          },
        },
      });
      const formMsg = messageBox('de-msg');
      const form = h('form', { novalidate: true, testid: 'device-edit-form' }, fields.el, formMsg.el, h('div', { class: 'actions' }, save, cancel));
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const input = fields.read();
        if (typeof input === 'string') return formMsg.error(input);
        void busy(
          [save, cancel],
          async () => {
            try {
              device = await deviceApi.updateDevice(d.id, input);
              editing = false;
              regStamp = '';
              render();
              msg.success(t('dev.d.saved'));
            } catch (err) {
              formMsg.error(errorText(err));
            }
          },
          { el: save, busyText: t('common.busy') },
        );
      });
      replace(registry, title, form);
      form.querySelector<HTMLElement>('select, input')?.focus();
      return;
    }
    const edit =
      operate && d.status !== 'decommissioned'
        ? h('button', {
            type: 'button',
            class: 'btn btn-small',
            testid: 'device-edit',
            text: t('dev.d.edit'),
            on: {
              click: () => {
                editing = true;
                renderRegistry(d);
              },
            },
          })
        : null;
    replace(
      registry,
      h('div', { class: 'card-head' }, title, edit),
      facts([
        [t('dev.col.id'), h('span', { class: 'mono', text: d.id }), 'dd-id'],
        [t('dev.f.kind'), kindLabel(d.kind), 'dd-kind'],
        [t('dev.f.name'), dash(d.name), 'dd-name'],
        [t('dev.f.serial'), dash(d.serial), 'dd-serial'],
        [t('dev.f.imei'), dash(d.imei)],
        [t('dev.f.vendor'), dash(d.vendor)],
        [t('dev.f.model'), dash(d.model)],
        [t('dev.f.firmware'), dash(d.firmware)],
        [t('dev.f.commune'), d.commune_code ? unitLabel(d.commune_code, 'dd-commune') : '—'],
        [t('dev.f.village'), d.village_code ? unitLabel(d.village_code, 'dd-village') : '—'],
        [t('dev.f.coords'), d.lat !== null && d.lon !== null ? `${d.lat}, ${d.lon}` : '—'],
        [t('dev.f.horns'), dash(d.horns)],
        [t('dev.f.watts'), dash(d.watts)],
        [t('dev.col.status'), deviceStatusLabel(d.status), 'dd-status'],
        [t('dev.d.created'), timeEl(d.created_at)],
        [t('dev.d.updatedAt'), timeEl(d.updated_at)],
      ]),
    );
  };

  // ---- live state -------------------------------------------------------------------------------
  const renderLive = (d: Device) => {
    const s = d.state ?? {};
    const playing = d.online ? s.playing : null;
    replace(
      live,
      h('h2', { id: 'dd-live-title', text: t('dev.d.live') }),
      h('p', null, conditionBadge(d, 'dd-condition')),
      facts([
        [
          t('dev.col.playing'),
          playing
            ? h(
                'span',
                null,
                playing.title || playing.kind || t('dev.playingSomething'),
                playing.priority ? ` · ${labelOf('priority', playing.priority)}` : '',
                playing.order ? ` · ${t('dev.d.order', { order: playing.order })}` : '',
              )
            : '—',
          'dd-playing',
        ],
        [t('dev.col.volume'), s.volume !== undefined ? `${s.volume}` : '—', 'dd-volume'],
        [t('dev.d.power'), s.power === undefined ? '—' : s.power ? t('dev.d.powerOn') : t('dev.d.powerOff'), 'dd-power'],
        [t('dev.d.temperature'), s.temperature_c !== undefined ? `${fmtNumber(s.temperature_c)} °C` : '—'],
        [t('dev.d.signal'), s.signal_dbm !== undefined ? `${s.signal_dbm} dBm` : '—'],
        [t('dev.d.free'), s.free_bytes !== undefined ? fmtBytes(s.free_bytes) : '—'],
        [t('dev.d.firmware'), dash(s.firmware ?? d.firmware)],
        [t('dev.d.agent'), dash(s.agent)],
        [t('dev.d.queued'), s.queued_reports !== undefined ? String(s.queued_reports) : '—'],
        [t('dev.col.lastSeen'), d.last_seen ? h('span', null, timeEl(d.last_seen), ` (${ago(d.last_seen)})`) : t('dev.never'), 'dd-last-seen'],
      ]),
    );
  };

  // ---- actions ----------------------------------------------------------------------------------
  const command = (btns: (HTMLButtonElement | HTMLInputElement)[], run: () => Promise<unknown>, done: string) =>
    void busy(btns, async () => {
      msg.clear();
      try {
        await run();
        msg.success(done);
      } catch (err) {
        msg.error(errorText(err));
      }
    });

  const showBundle = (d: Device, res: ProvisionResult) => {
    const file = `nguon-agent-${d.id}.json`;
    const download = h('button', { type: 'button', class: 'btn btn-primary', testid: 'provision-download', text: t('dev.d.download', { file }) });
    download.addEventListener('click', () => {
      const url = URL.createObjectURL(new Blob([res.bundle_json], { type: 'application/json' }));
      const a = h('a', { href: url, download: file, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });
    // The SVG is shown as an image (never inserted as markup): scripts in it cannot run.
    const qr = res.qr_svg
      ? h('img', {
          class: 'qr',
          testid: 'provision-qr',
          alt: t('dev.d.qrAlt', { id: d.id }),
          src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(res.qr_svg)}`,
        })
      : null;
    const hide = h('button', { type: 'button', class: 'btn btn-ghost', testid: 'provision-hide', text: t('dev.d.bundleHide'), on: { click: () => replace(provisionBox) } });
    replace(
      provisionBox,
      h(
        'div',
        { class: 'secret provision', role: 'region', 'aria-label': t('dev.d.bundleTitle'), testid: 'provision-bundle' },
        h('p', { class: 'secret-title', text: t('dev.d.bundleTitle') }),
        h('p', { class: 'hint warn', text: t('dev.d.bundleOnce') }),
        h('div', { class: 'provision-row' }, qr, h('div', { class: 'row-actions' }, download, hide)),
      ),
    );
    download.focus();
  };

  const renderActions = (d: Device) => {
    if (!operate) {
      replace(actions, h('h2', { id: 'dd-act-title', text: t('dev.d.actions') }), h('p', { class: 'hint', testid: 'device-readonly', text: t('dev.readOnly') }));
      return;
    }
    if (d.status === 'decommissioned') {
      replace(actions, h('h2', { id: 'dd-act-title', text: t('dev.d.actions') }), h('p', { class: 'hint', testid: 'device-decommissioned', text: t('dev.d.isDecommissioned') }));
      return;
    }
    const vol = h('input', { type: 'range', min: '0', max: '100', step: '5', testid: 'dd-volume-slider', value: String(d.state?.volume ?? 70), 'aria-describedby': 'dd-vol-out' });
    vol.id = 'dd-vol';
    const volOut = h('output', { id: 'dd-vol-out', class: 'range-out', for: 'dd-vol', text: vol.value });
    vol.addEventListener('input', () => {
      volOut.textContent = vol.value;
    });
    const volSet = h('button', { type: 'button', class: 'btn btn-small', testid: 'dd-volume-set', text: t('dev.d.volumeSet') });
    volSet.addEventListener('click', () =>
      command([volSet, vol], () => deviceApi.command(d.id, { action: 'volume', volume: Number(vol.value) }), t('dev.d.sent.volume', { v: vol.value })),
    );
    const on = h('button', { type: 'button', class: 'btn', testid: 'dd-power-on', text: t('dev.d.powerOnBtn') });
    const off = h('button', { type: 'button', class: 'btn', testid: 'dd-power-off', text: t('dev.d.powerOffBtn') });
    on.addEventListener('click', () => command([on, off], () => deviceApi.command(d.id, { action: 'power', on: true }), t('dev.d.sent.powerOn')));
    off.addEventListener('click', () => {
      if (!window.confirm(t('dev.d.confirmPowerOff', { name: d.name || d.id }))) return;
      command([on, off], () => deviceApi.command(d.id, { action: 'power', on: false }), t('dev.d.sent.powerOff'));
    });
    const reboot = h('button', { type: 'button', class: 'btn', testid: 'dd-reboot', text: t('dev.d.reboot') });
    reboot.addEventListener('click', () => {
      if (!window.confirm(t('dev.d.confirmReboot', { name: d.name || d.id }))) return;
      command([reboot], () => deviceApi.command(d.id, { action: 'reboot' }), t('dev.d.sent.reboot'));
    });
    const provision = h('button', { type: 'button', class: 'btn btn-primary', testid: 'dd-provision', text: d.status === 'provisioned' ? t('dev.d.reprovision') : t('dev.d.provision') });
    provision.addEventListener('click', () => {
      if (d.status === 'provisioned' && !window.confirm(t('dev.d.confirmReprovision'))) return;
      void busy(
        [provision],
        async () => {
          msg.clear();
          try {
            const res = await deviceApi.provision(d.id);
            showBundle(d, res);
            void refresh(false);
          } catch (err) {
            msg.error(errorText(err));
          }
        },
        { el: provision, busyText: t('common.busy') },
      );
    });
    const decommission = h('button', { type: 'button', class: 'btn btn-danger', testid: 'dd-decommission', text: t('dev.d.decommission') });
    decommission.addEventListener('click', () => {
      if (!window.confirm(t('dev.d.confirmDecommission', { name: d.name || d.id }))) return;
      void busy([decommission], async () => {
        msg.clear();
        try {
          await deviceApi.decommission(d.id);
          replace(provisionBox);
          flash(t('dev.d.decommissioned'));
          navigate('#/devices');
        } catch (err) {
          msg.error(errorText(err));
        }
      });
    });
    const volField = h('div', { class: 'field' }, h('label', { for: 'dd-vol', text: t('dev.d.volume') }), h('div', { class: 'range-row' }, vol, volOut, volSet));
    replace(
      actions,
      h('h2', { id: 'dd-act-title', text: t('dev.d.actions') }),
      d.online ? null : h('p', { class: 'hint', text: t('dev.d.offlineHint') }),
      volField,
      h('div', { class: 'row-actions', role: 'group', 'aria-label': t('dev.d.power') }, on, off, reboot),
      h('h3', { text: t('dev.d.provisionTitle') }),
      h('p', { class: 'hint', text: t('dev.d.provisionHint') }),
      h('div', { class: 'row-actions' }, provision),
      provisionBox,
      h('h3', { text: t('dev.d.decommissionTitle') }),
      h('p', { class: 'hint', text: t('dev.d.decommissionHint') }),
      h('div', { class: 'row-actions' }, decommission),
    );
  };

  // ---- plays ------------------------------------------------------------------------------------
  const loadPlays = async (d: Device) => {
    try {
      const res = await deviceApi.plays({ device: d.id, limit: 20 });
      replace(
        plays,
        h('h2', { id: 'dd-plays-title', text: t('dev.d.plays') }),
        res.items.length
          ? h('div', { class: 'table-wrap' }, playTable(res.items, 'device-plays-table', false))
          : h('p', { class: 'empty', testid: 'device-plays-empty', text: t('plays.empty') }),
        h('p', null, h('a', { href: `#/plays/${encodeURIComponent(d.id)}`, text: t('dev.d.allPlays') })),
      );
    } catch (err) {
      replace(plays, h('h2', { id: 'dd-plays-title', text: t('dev.d.plays') }), h('p', { class: 'msg msg-error', text: errorText(err) }));
    }
  };

  const render = () => {
    const d = device;
    if (!d) return;
    replace(
      head,
      h('h1', { testid: 'device-title', text: d.name || d.id }),
      h('div', { class: 'badges' }, conditionBadge(d), h('span', { class: 'badge', text: deviceStatusLabel(d.status) })),
    );
    // Refreshes rebuild only what changed, so keyboard focus (Edit button, volume slider) and
    // the bundle just shown survive the 10-second refresh.
    const stamp = `${d.updated_at}|${d.status}`;
    if (!editing && stamp !== regStamp) {
      regStamp = stamp;
      renderRegistry(d);
    }
    renderLive(d);
    if (!actions.dataset.for || actions.dataset.for !== `${d.id}:${d.status}`) {
      actions.dataset.for = `${d.id}:${d.status}`;
      renderActions(d);
    }
    if (!built) {
      built = true;
      replace(body, h('div', { class: 'detail-grid device-grid' }, h('div', null, live, actions), h('div', null, registry)), plays);
    }
  };

  const refresh = async (full: boolean) => {
    const mine = ++seq;
    try {
      const d = await deviceApi.device(id);
      if (mine !== seq) return;
      device = d;
      if (!editing || full) render();
      else {
        renderLive(d);
      }
      if (full) void loadPlays(d);
    } catch (err) {
      if (mine !== seq) return;
      if (full) replace(body);
      msg.error(errorText(err));
    }
  };

  const tick = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      if (!el.isConnected) return;
      if (document.visibilityState === 'visible' && !editing) void refresh(false).finally(tick);
      else tick();
    }, REFRESH_MS);
  };

  const el = h(
    'section',
    { class: 'page device-page' },
    h('p', { class: 'back' }, h('a', { href: '#/devices', testid: 'device-back', text: t('dev.back') })),
    head,
    msg.el,
    body,
  );
  return {
    el,
    update(param) {
      id = param ?? '';
      device = null;
      editing = false;
      built = false;
      regStamp = '';
      delete actions.dataset.for;
      replace(provisionBox);
      replace(head);
      replace(body, spinner(t('app.loading')));
      msg.clear();
      void refresh(true);
      tick();
    },
  };
}
