// "Phát trực tiếp" (#/live): an admin or station operator speaks into the browser's microphone and
// the loudspeakers of the chosen areas play it at once.
//
// Start: the form's own checks (an area; title ≤ 200), the browser's abilities (secure context,
// microphone, WebCodecs Opus encoder), a confirmation that restates the areas, then the microphone
// (only now), then POST /api/v1/live (409 live_conflict: the server's words on who is live where),
// then the audio WebSocket of the session (components/liveEncoder.ts).
// On air: the ON AIR banner (level, elapsed time), the microphone level, what was sent, what the
// server says (GET /live/{id} every 2 s: state, packets, devices, listeners), the devices'
// acknowledgements (the alert board, GET /live/{id}/devices) and "Kết thúc" (POST …/stop, then the
// socket is closed). Leaving the page (another route, sign-out, language switch, closing the tab)
// closes the socket — which ends the session on the server — and releases the microphone.
// Below: the live sessions in the caller's scope, active first, with a stop button where allowed.

import { ApiError, liveApi } from '../api';
import { state, type View } from '../app';
import { ackBoard } from '../components/alertBoard';
import { spinner, timeEl, unitInfo, unitLabel } from '../components/bulletinBits';
import { canOperate, fmtBytes, fmtNumber } from '../components/deviceBits';
import { LiveEncoder, liveSupport, opusSupported, type LiveSupport, type SocketEnd } from '../components/liveEncoder';
import { unitChips } from '../components/unitChips';
import { autoRefresh, busy, field, h, messageBox, replace, uid } from '../dom';
import { errorText } from '../errors';
import { hasKey, t, type MessageKey } from '../i18n';
import { CaptureError } from '../recording/capture';
import type { LiveSession, Unit } from '../types';

type Msg = ReturnType<typeof messageBox>;

const MAX_TITLE = 200;
const POLL_MS = 2_000;
const LIST_MS = 5_000;
/** After the end, the board keeps refreshing this long (devices report interrupted/played). */
const BOARD_GRACE_MS = 60_000;

// ---- labels -------------------------------------------------------------------------------------

function keyed(prefix: string, value: string | null | undefined): string {
  const key = `${prefix}.${value ?? ''}`;
  return hasKey(key) ? t(key) : value || '—';
}

export const liveLevelLabel = (level: string) => keyed('live.level', level);
export const liveStateLabel = (s: string) => keyed('live.state', s);
export const liveReasonLabel = (r: string | null | undefined) => keyed('live.reason', r);

function levelBadge(level: string, testid?: string): HTMLSpanElement {
  return h('span', { class: `badge live-level live-level-${level}`, testid, 'data-level': level, text: liveLevelLabel(level) });
}

function stateBadge(s: string, testid?: string): HTMLSpanElement {
  return h('span', { class: `badge live-state live-state-${s}`, testid, 'data-state': s, text: liveStateLabel(s) });
}

/** 75 → "01:15", 3725 → "1:02:05". */
function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** A peak amplitude (0…1) on a -60…0 dBFS scale (0…1). */
function meterLevel(peak: number): number {
  if (peak <= 0) return 0;
  return Math.max(0, Math.min(1, (20 * Math.log10(peak) + 60) / 60));
}

function supportText(s: LiveSupport): string {
  if (s === 'insecure') return t('live.err.insecure');
  if (s === 'no_mic_api') return t('live.err.noMicApi');
  if (s === 'no_encoder') return t('live.err.noEncoder');
  return t('live.err.noWebsocket');
}

function micText(e: unknown): { code: string; text: string } {
  if (e instanceof CaptureError) {
    if (e.kind === 'denied') return { code: 'mic_denied', text: t('live.err.micDenied') };
    if (e.kind === 'no_mic') return { code: 'no_mic', text: t('live.err.noMic') };
    if (e.kind === 'mic_busy') return { code: 'mic_busy', text: t('live.err.micBusy') };
  }
  return { code: 'mic_failed', text: t('live.err.micFailed', { message: e instanceof Error ? e.message || e.name : String(e) }) };
}

/** The server's refusal of POST /live in words; a conflict keeps its message (who, where). */
function startErrorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'live_conflict' || err.status === 409) return t('live.err.conflict', { message: err.message });
    if (err.status === 403) return t('live.err.forbidden');
  }
  return errorText(err);
}

// ---- who may stop what --------------------------------------------------------------------------

const LEVEL_RANK: Record<string, number> = { commune: 1, province: 2, nation: 3 };

function grantRank(code: string): number {
  if (code === 'VN') return 3;
  return code.length <= 2 ? 2 : 1;
}

/** The session's own operator, or an admin/station operator over all its areas at its level or above. */
async function mayStop(s: LiveSession): Promise<boolean> {
  const user = state.user;
  if (!user || !canOperate(user)) return false;
  if (s.operator === user.username) return true;
  const grants = user.roles.filter((r) => r.role === 'admin' || r.role === 'station_operator');
  if (!grants.length) return false;
  const units = await Promise.all(s.areas.map((code) => unitInfo(code)));
  const need = LEVEL_RANK[s.level] ?? 1;
  return s.areas.every((code, i) => {
    const u: Unit | null = units[i] ?? null;
    const chain = new Set([code, ...(u?.ancestors ?? []).map((a) => a.code)]);
    return grants.some((g) => (chain.has(g.unit_code) || g.unit_code === 'VN') && grantRank(g.unit_code) >= need);
  });
}

// ---- the view -----------------------------------------------------------------------------------

export function liveView(): View {
  const el = h('section', { class: 'page live-page', testid: 'live-page' });
  const stage = h('div', { class: 'live-stage', testid: 'live-stage' });
  let current: OnAir | null = null;

  const sessions = sessionsCard({
    stopOwn: (id) => (current && current.id === id && current.active() ? current.stop() : null),
  });

  const showForm = () => {
    current = null;
    replace(stage, startForm({ onStarted: (s, enc) => showPanel(s, enc), alive: () => el.isConnected }));
  };
  const showPanel = (s: LiveSession, enc: LiveEncoder) => {
    current = onAir(s, enc, { again: showForm, changed: () => sessions.reload() });
    replace(stage, current.el);
    sessions.reload();
  };

  replace(
    el,
    h('h1', { text: t('live.title') }),
    h('p', { class: 'hint live-intro', text: t('live.intro') }),
    stage,
    sessions.el,
  );
  showForm();
  sessions.reload();
  return { el };
}

// ---- the start form -----------------------------------------------------------------------------

function startForm(hooks: { onStarted: (s: LiveSession, enc: LiveEncoder) => void; alive: () => boolean }): HTMLElement {
  const msg = messageBox('live-msg');
  const areas = unitChips({ legend: `${t('live.areas')} *`, testid: 'live-areas', hint: t('live.areasHint') });
  const title = h('input', { type: 'text', testid: 'live-title', maxlength: String(MAX_TITLE), autocomplete: 'off', placeholder: t('live.titlePlaceholder') });
  const support = liveSupport();
  const submit = h('button', { type: 'submit', class: 'btn btn-danger live-start', testid: 'live-start', text: t('live.start') });
  const form = h(
    'form',
    { class: 'card live-form', testid: 'live-form', novalidate: true },
    areas.el,
    field(t('live.titleLabel'), title, t('live.titleHint', { max: MAX_TITLE })),
    h(
      'div',
      { class: 'msg msg-warn live-warning', role: 'note', testid: 'live-warning' },
      h('strong', { text: t('live.warningHead') }),
      ' ',
      t('live.warning'),
    ),
    support === 'ok' ? null : h('p', { class: 'msg msg-error', testid: 'live-unsupported', 'data-code': support, text: supportText(support) }),
    msg.el,
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('input', () => {
    if (msg.el.getAttribute('data-code') === 'client') msg.clear();
  });
  const fail = (code: string, text: string) => {
    msg.el.setAttribute('data-code', code);
    msg.error(text);
    msg.el.scrollIntoView({ block: 'nearest' });
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    msg.clear();
    msg.el.removeAttribute('data-code');
    const codes = areas.values();
    const text = title.value.trim();
    if (!codes.length) {
      fail('client', t('live.err.area'));
      areas.el.querySelector<HTMLInputElement>('input')?.focus();
      return;
    }
    if ([...text].length > MAX_TITLE) {
      fail('client', t('live.err.titleLong', { max: MAX_TITLE }));
      title.focus();
      return;
    }
    const can = liveSupport();
    if (can !== 'ok') {
      fail(can, supportText(can));
      return;
    }
    void busy([submit], async () => {
      if (!(await opusSupported())) {
        fail('no_encoder', t('live.err.noOpus'));
        return;
      }
      const names = await Promise.all(codes.map(async (c) => (await unitInfo(c))?.name ?? c));
      if (!window.confirm(t('live.confirm', { scope: names.join(', ') }))) return;
      const enc = new LiveEncoder();
      try {
        await enc.openMic();
      } catch (e) {
        const m = micText(e);
        fail(m.code, m.text);
        return;
      }
      if (!hooks.alive()) {
        enc.close();
        return;
      }
      let s: LiveSession;
      try {
        s = await liveApi.start(text ? { areas: codes, title: text } : { areas: codes });
      } catch (err) {
        enc.close();
        fail(err instanceof ApiError ? err.code : 'error', startErrorText(err));
        return;
      }
      if (!hooks.alive()) {
        // The page was left while the server started the session: end it at once.
        enc.close();
        void liveApi.stop(s.id).catch(() => undefined);
        return;
      }
      if (!s.audio_url) {
        enc.close();
        void liveApi.stop(s.id).catch(() => undefined);
        fail('bad_response', t('live.err.noAudioUrl'));
        return;
      }
      hooks.onStarted(s, enc);
    }, { el: submit, busyText: t('live.starting') });
  });
  return form;
}

// ---- on air -------------------------------------------------------------------------------------

interface OnAir {
  el: HTMLElement;
  id: string;
  active(): boolean;
  stop(): Promise<void>;
}

function onAir(first: LiveSession, enc: LiveEncoder, hooks: { again: () => void; changed: () => void }): OnAir {
  let s: LiveSession = { ...first };
  const audioUrl = first.audio_url ?? '';
  delete s.audio_url; // the one-time token is not kept on the page
  const msg = messageBox('live-panel-msg');
  let onAirSince = 0;
  let endedAt = 0;
  let ended = false;
  let stopping = false;
  let peak = 0;
  let maxPeak = 0;

  // Banner.
  const bannerText = h('strong', { class: 'live-banner-text', testid: 'live-banner-text' });
  const elapsed = h('span', { class: 'live-elapsed', testid: 'live-elapsed', role: 'timer', 'data-seconds': '0', text: clock(0) });
  const levelEl = levelBadge(s.level, 'live-level');
  const banner = h(
    'div',
    { class: 'live-banner', testid: 'live-banner', role: 'status', 'aria-live': 'polite' },
    h('span', { class: 'rec-dot is-live', 'aria-hidden': 'true' }),
    bannerText,
    levelEl,
    elapsed,
  );
  const areasLine = h('p', { class: 'live-areas-line', testid: 'live-areas-line' }, `${t('live.areasOnAir')} `, s.areas.flatMap((c, i) => [i ? ', ' : '', unitLabel(c)]));
  const titleLine = s.title ? h('p', { class: 'live-title-line', testid: 'live-title-line', text: s.title }) : null;

  // Microphone level.
  const meterId = uid('live-meter');
  const meterEl = h('meter', { id: meterId, class: 'rec-meter live-meter', testid: 'live-meter', min: '0', max: '1', low: '0.75', high: '0.92', optimum: '0.5', value: '0', 'data-peak': '0' });

  // Numbers.
  const stat = (testid: string, label: string) => {
    const value = h('dd', { testid, 'data-value': '0', text: '—' });
    return { value, box: h('div', { class: 'live-stat' }, h('dt', { text: label }), value) };
  };
  const sentPackets = stat('live-sent-packets', t('live.stat.sentPackets'));
  const sentBytes = stat('live-sent-bytes', t('live.stat.sentBytes'));
  const serverState = stat('live-server-state', t('live.stat.serverState'));
  const serverPackets = stat('live-server-packets', t('live.stat.serverPackets'));
  const devices = stat('live-devices', t('live.stat.devices'));
  const listeners = stat('live-listeners', t('live.stat.listeners'));
  const socket = stat('live-socket', t('live.stat.socket'));
  const stats = h('dl', { class: 'live-stats' }, [sentPackets, sentBytes, serverState, serverPackets, devices, listeners, socket].map((x) => x.box));

  // Stream address for relaying.
  const urlId = uid('live-url');
  const urlInput = h('input', { id: urlId, type: 'text', class: 'mono', readonly: true, testid: 'live-stream-url', value: s.stream_url ?? '' });
  const copy = h('button', { type: 'button', class: 'btn btn-ghost', testid: 'live-copy-url', text: t('live.copy') });
  copy.addEventListener('click', () => {
    urlInput.select();
    const done = () => {
      copy.textContent = t('live.copied');
      window.setTimeout(() => (copy.textContent = t('live.copy')), 2000);
    };
    if (navigator.clipboard?.writeText) navigator.clipboard.writeText(urlInput.value).then(done, () => undefined);
    else if (document.execCommand('copy')) done();
  });
  const urlBox = h(
    'div',
    { class: 'field live-url' },
    h('label', { for: urlId, text: t('live.streamUrl') }),
    h('div', { class: 'live-url-row' }, urlInput, copy),
    h('p', { class: 'hint', text: t('live.streamUrlHint') }),
  );

  const stopBtn = h('button', { type: 'button', class: 'btn btn-danger live-stop', testid: 'live-stop' }, h('span', { class: 'rec-square', 'aria-hidden': 'true' }), t('live.stop'));
  const again = h('button', { type: 'button', class: 'btn btn-primary', testid: 'live-again', text: t('live.again'), hidden: true });
  again.addEventListener('click', () => hooks.again());
  const endLine = h('p', { class: 'live-end', testid: 'live-end', hidden: true });

  const board = ackBoard({
    testid: 'live-board',
    fetch: () => liveApi.devices(s.id),
    events: liveApi.devicesEventsUrl(s.id),
    live: () => !ended || Date.now() - endedAt < BOARD_GRACE_MS,
    poll: true,
  });

  const el = h(
    'section',
    { class: 'card live-panel', testid: 'live-panel', 'data-id': s.id, 'data-state': s.state, 'aria-label': t('live.panel') },
    banner,
    titleLine,
    areasLine,
    msg.el,
    endLine,
    h('div', { class: 'rec-meter-row live-meter-row' }, h('label', { for: meterId, text: t('live.micLevel') }), meterEl),
    stats,
    h('div', { class: 'actions live-actions' }, stopBtn, again),
    urlBox,
    board,
  );

  const setStat = (x: { value: HTMLElement }, value: string | number, text: string) => {
    x.value.setAttribute('data-value', String(value));
    x.value.textContent = text;
  };

  const render = () => {
    const st = ended ? 'ended' : s.state;
    el.setAttribute('data-state', st);
    banner.setAttribute('data-state', st);
    bannerText.textContent = st === 'on_air' ? t('live.banner.onAir') : st === 'ended' ? t('live.banner.ended') : t('live.banner.waiting');
    if (levelEl.getAttribute('data-level') !== s.level) levelEl.replaceWith(levelBadge(s.level, 'live-level'));
    setStat(serverState, st, liveStateLabel(st));
    setStat(serverPackets, s.packets ?? 0, `${fmtNumber(s.packets ?? 0)} · ${fmtBytes(s.bytes ?? 0)}`);
    setStat(devices, s.devices ?? 0, fmtNumber(s.devices ?? 0));
    setStat(listeners, s.listeners ?? 0, fmtNumber(s.listeners ?? 0));
    if (ended) {
      stopBtn.hidden = true;
      again.hidden = false;
      endLine.hidden = false;
      endLine.setAttribute('data-reason', s.end_reason ?? '');
      endLine.textContent = t('live.endedWhy', { reason: liveReasonLabel(s.end_reason) });
    }
  };

  const tick = () => {
    setStat(sentPackets, enc.packets, fmtNumber(enc.packets));
    setStat(sentBytes, enc.bytes, fmtBytes(enc.bytes));
    setStat(socket, enc.socketState, t(`live.socket.${enc.socketState}` as MessageKey));
    if (!ended) {
      const secs = onAirSince ? (Date.now() - onAirSince) / 1000 : 0;
      elapsed.setAttribute('data-seconds', secs.toFixed(1));
      elapsed.textContent = clock(secs);
    }
    const level = meterLevel(peak);
    const prev = Number(meterEl.value) || 0;
    meterEl.value = ended ? 0 : level >= prev ? level : prev * 0.6 + level * 0.4;
    meterEl.setAttribute('data-peak', maxPeak.toFixed(4));
    peak = 0;
  };

  const onBeforeUnload = (ev: BeforeUnloadEvent) => {
    ev.preventDefault();
    ev.returnValue = '';
  };
  const onPageHide = () => leave();
  const onHash = () => {
    if (!el.isConnected) leave();
  };
  let timer = 0;

  /** Local end: microphone and socket released, timers stopped (the board runs its grace period). */
  const finish = () => {
    if (!ended) {
      ended = true;
      endedAt = Date.now();
    }
    enc.close();
    window.removeEventListener('beforeunload', onBeforeUnload);
    window.removeEventListener('pagehide', onPageHide);
    window.removeEventListener('hashchange', onHash);
    if (timer) window.clearInterval(timer);
    timer = 0;
    tick();
    render();
    hooks.changed();
  };

  /** The page went away while live: close the socket (ends the session) and tell the server too. */
  const leave = () => {
    if (ended) return;
    const id = s.id;
    finish();
    void liveApi.stop(id).catch(() => undefined);
  };

  const apply = (next: LiveSession) => {
    const before = s.state;
    s = { ...next };
    delete s.audio_url;
    if (s.state !== before && s.state !== 'ended') hooks.changed(); // the list below follows
    if (s.state === 'on_air' && !onAirSince) onAirSince = Date.now();
    if (s.state === 'ended' && !ended) {
      // Ended on the server (stopped elsewhere, pre-empted, no audio…).
      if (!stopping) msg.info(t('live.endedElsewhere', { reason: liveReasonLabel(s.end_reason) }));
      finish();
      return;
    }
    render();
  };

  const poll = async () => {
    try {
      apply(await liveApi.get(s.id));
    } catch (err) {
      if (!ended) msg.error(errorText(err));
    }
  };

  enc.onLevel = (p) => {
    peak = Math.max(peak, p);
    maxPeak = Math.max(maxPeak, p);
  };
  enc.onSocketOpen = () => {
    msg.clear();
    if (!onAirSince) onAirSince = Date.now();
    tick();
  };
  enc.onSocketClose = (end: SocketEnd) => {
    if (ended || stopping) return;
    if (end.code === 1000) {
      // Ended elsewhere (stopped by someone else, pre-empted): the reason as the server has it.
      msg.info(t('live.closed.server'));
      finish();
      void poll();
      return;
    }
    // Token refused (1008, or the handshake itself refused: the browser only says 1006) or the
    // connection lost: end the session so the area is free again.
    msg.error(end.code === 1008 ? t('live.closed.token') : !end.opened ? t('live.closed.refused') : t('live.closed.lost', { code: end.code }));
    finish();
    void liveApi.stop(s.id).then(apply, () => poll());
  };
  enc.onEncoderError = (message) => {
    if (ended) return;
    msg.error(t('live.err.encoder', { message }));
    finish();
    void liveApi.stop(s.id).then(apply, () => undefined);
  };
  enc.onMicEnded = () => {
    if (ended) return;
    msg.error(t('live.err.micEnded'));
    void stop();
  };

  const stop = async () => {
    if (ended || stopping) return;
    stopping = true;
    enc.pause();
    msg.clear();
    await busy(
      [stopBtn],
      async () => {
        try {
          const next = await liveApi.stop(s.id);
          s = { ...next };
          delete s.audio_url;
        } catch (err) {
          // Already ended (or unreachable): closing the socket ends it all the same.
          if (!(err instanceof ApiError && (err.status === 404 || err.status === 409))) msg.error(errorText(err));
        }
        finish();
        void poll();
      },
      { el: stopBtn, busyText: t('common.busy') },
    );
  };
  stopBtn.addEventListener('click', () => void stop());

  window.addEventListener('beforeunload', onBeforeUnload);
  window.addEventListener('pagehide', onPageHide);
  window.addEventListener('hashchange', onHash);
  timer = window.setInterval(() => {
    if (!el.isConnected) {
      leave();
      return;
    }
    tick();
  }, 250);

  render();
  tick();
  enc.connect(audioUrl);
  autoRefresh(() => el.isConnected && !ended, poll, POLL_MS)();
  queueMicrotask(() => stopBtn.focus());

  return { el, id: s.id, active: () => !ended, stop };
}

// ---- the sessions in scope ----------------------------------------------------------------------

function sessionsCard(hooks: { stopOwn: (id: string) => Promise<void> | null }): { el: HTMLElement; reload: () => void } {
  const msg = messageBox('live-sessions-msg');
  const box = h('div', { class: 'live-sessions-box' }, spinner(t('app.loading')));
  const titleId = uid('live-sessions');
  const el = h(
    'section',
    { class: 'card live-sessions-card', testid: 'live-sessions-card', 'aria-labelledby': titleId },
    h('h2', { id: titleId, text: t('live.sessions') }),
    msg.el,
    box,
  );
  let seq = 0;
  let lastJson = '';

  const load = async () => {
    const mine = ++seq;
    let list: LiveSession[];
    try {
      list = (await liveApi.list()).sessions ?? [];
    } catch (err) {
      if (mine !== seq) return;
      if (!lastJson) replace(box);
      msg.error(errorText(err));
      return;
    }
    const allowed = await Promise.all(list.map((s) => (s.state === 'ended' ? Promise.resolve(false) : mayStop(s))));
    if (mine !== seq) return;
    msg.clear();
    const json = JSON.stringify([list, allowed]);
    if (json === lastJson) return;
    lastJson = json;
    replace(
      box,
      list.length
        ? h('ul', { class: 'live-sessions', testid: 'live-sessions' }, list.map((s, i) => sessionRow(s, !!allowed[i], msg, hooks, reload)))
        : h('p', { class: 'empty', testid: 'live-sessions-empty', text: t('live.sessionsNone') }),
    );
  };

  const reload = autoRefresh(() => el.isConnected, load, LIST_MS);
  return { el, reload };
}

function sessionRow(s: LiveSession, canStop: boolean, msg: Msg, hooks: { stopOwn: (id: string) => Promise<void> | null }, reload: () => void): HTMLElement {
  const active = s.state !== 'ended';
  const stop = canStop && active ? h('button', { type: 'button', class: 'btn btn-danger btn-small', testid: `live-session-stop-${s.id}`, text: t('live.stop') }) : null;
  stop?.addEventListener('click', () => {
    if (!window.confirm(t('live.confirmStop', { operator: s.operator }))) return;
    msg.clear();
    void busy([stop], async () => {
      const own = hooks.stopOwn(s.id);
      try {
        if (own) await own;
        else await liveApi.stop(s.id);
      } catch (err) {
        msg.error(errorText(err));
      }
      reload();
    }, { el: stop, busyText: t('common.busy') });
  });
  return h(
    'li',
    { class: `live-session${active ? ' is-active' : ''}`, testid: `live-session-${s.id}`, 'data-state': s.state, 'data-level': s.level, 'data-operator': s.operator },
    h(
      'div',
      { class: 'live-session-head' },
      levelBadge(s.level, `live-session-level-${s.id}`),
      stateBadge(s.state, `live-session-state-${s.id}`),
      h('strong', { class: 'live-session-title', text: s.title || t('live.noTitle') }),
    ),
    h(
      'p',
      { class: 'live-session-areas', testid: `live-session-areas-${s.id}` },
      `${t('live.areasOnAir')} `,
      s.areas.flatMap((c, i) => [i ? ', ' : '', unitLabel(c)]),
    ),
    h(
      'p',
      { class: 'live-session-meta' },
      h('span', { testid: `live-session-operator-${s.id}` }, `${t('live.operator')} `, h('strong', { text: s.operator || '—' })),
      h('span', null, `${t('live.startedAt')} `, timeEl(s.started_at, `live-session-started-${s.id}`)),
      s.ended_at ? h('span', null, `${t('live.endedAt')} `, timeEl(s.ended_at, `live-session-ended-${s.id}`)) : null,
      h('span', { testid: `live-session-devices-${s.id}`, 'data-value': String(s.devices ?? 0) }, t('live.devicesN', { n: fmtNumber(s.devices ?? 0) })),
      active ? h('span', { testid: `live-session-listeners-${s.id}`, 'data-value': String(s.listeners ?? 0) }, t('live.listenersN', { n: fmtNumber(s.listeners ?? 0) })) : null,
    ),
    s.state === 'ended'
      ? h('p', { class: 'live-session-reason', testid: `live-session-reason-${s.id}`, 'data-reason': s.end_reason ?? '', text: t('live.endedWhy', { reason: liveReasonLabel(s.end_reason) }) })
      : null,
    stop ? h('div', { class: 'actions' }, stop) : null,
  );
}
