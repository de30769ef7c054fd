// "Ghi âm / Record" in the audio card: record from the microphone (PCM through Web Audio, see
// recording/capture.ts), watch a level meter and the elapsed time, stop, listen to it locally,
// then "Dùng bản ghi này / Use this recording" uploads it as audio/wav (PUT …/audio).
//
// Resources (microphone, AudioContexts, the download URL) are released when the recording is
// used or discarded, and when the card leaves the page (re-render, navigation, language switch).

import { api } from '../api';
import { busy, h, messageBox, replace, uid } from '../dom';
import { errorText } from '../errors';
import { t } from '../i18n';
import { CaptureError, MicCapture, PREFERRED_RATE, WavPlayer, captureSupport, maxSamplesAt, type Recording } from '../recording/capture';
import type { Bulletin } from '../types';
import { fmtDuration, spinner } from './bulletinBits';

type RecState = 'idle' | 'starting' | 'recording' | 'stopping' | 'recorded' | 'uploading';

/** 62.4 → "1:02". */
function clock(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/** A peak amplitude (0…1) on a -60…0 dBFS scale (0…1), which is how loudness is perceived. */
function meterLevel(peak: number): number {
  if (peak <= 0) return 0;
  return Math.max(0, Math.min(1, (20 * Math.log10(peak) + 60) / 60));
}

function captureMessage(e: unknown): string {
  if (e instanceof CaptureError) {
    if (e.kind === 'denied') return t('record.denied');
    if (e.kind === 'no_mic') return t('record.noMic');
    if (e.kind === 'mic_busy') return t('record.micBusy');
    if (e.kind === 'empty') return t('record.empty');
  }
  return t('record.failed', { message: e instanceof Error ? e.message || e.name : String(e) });
}

export interface RecorderHooks {
  /** True while the microphone is open or the recording uploads: other audio actions wait. */
  onBusy(active: boolean): void;
  /** The recording became the bulletin's audio. */
  onUsed(next: Bulletin): void;
}

export function recorderSection(b: Bulletin, hooks: RecorderHooks): HTMLElement {
  const support = captureSupport();
  const msg = messageBox('record-msg');
  const body = h('div', { class: 'record-body' });
  const maxAtPreferred = maxSamplesAt(PREFERRED_RATE) / PREFERRED_RATE;
  const hint = h('p', { class: 'hint', testid: 'record-hint', text: t('record.hint', { max: clock(maxAtPreferred) }) });
  const root = h(
    'section',
    { class: 'record-form', testid: 'recorder', 'data-state': 'idle', 'aria-labelledby': 'record-title' },
    h('h3', { id: 'record-title', text: t('record.title') }),
    hint,
    msg.el,
    body,
  );

  let state: RecState = 'idle';
  let capture: MicCapture | null = null;
  let player: WavPlayer | null = null;
  let downloadUrl = '';
  let timer = 0;
  let peak = 0;
  let maxPeak = 0;
  // Filled by the renderer of the current state; called by the timer.
  let tick: () => void = () => {};

  const onBeforeUnload = (ev: BeforeUnloadEvent) => {
    ev.preventDefault();
    ev.returnValue = '';
  };

  const setState = (next: RecState) => {
    state = next;
    root.setAttribute('data-state', next);
    hooks.onBusy(next === 'starting' || next === 'recording' || next === 'stopping' || next === 'uploading');
    if (next === 'idle') window.removeEventListener('beforeunload', onBeforeUnload);
    else window.addEventListener('beforeunload', onBeforeUnload);
  };

  const stopTimer = () => {
    if (timer) window.clearInterval(timer);
    timer = 0;
  };
  const startTimer = () => {
    if (timer) return;
    timer = window.setInterval(() => {
      if (!root.isConnected) {
        dispose();
        return;
      }
      tick();
    }, 200);
  };

  /** Releases the microphone, the players and the download URL; back to idle. */
  const dispose = () => {
    stopTimer();
    capture?.abort();
    capture = null;
    player?.dispose();
    player = null;
    if (downloadUrl) URL.revokeObjectURL(downloadUrl);
    downloadUrl = '';
    tick = () => {};
    setState('idle');
  };

  // ---- idle ----
  const renderIdle = () => {
    if (support !== 'ok') {
      replace(body, h('p', { class: 'hint warn', testid: 'record-unsupported', text: t(support === 'insecure' ? 'record.insecure' : 'record.unsupported') }));
      return;
    }
    const start = h('button', { type: 'button', class: 'btn rec-start', testid: 'record-start' }, h('span', { class: 'rec-dot', 'aria-hidden': 'true' }), t('record.start'));
    start.addEventListener('click', () => void begin(start));
    replace(body, h('div', { class: 'actions' }, start));
  };

  const begin = async (btn: HTMLButtonElement) => {
    msg.clear();
    const cap = new MicCapture();
    capture = cap;
    peak = 0;
    maxPeak = 0;
    setState('starting');
    btn.disabled = true;
    btn.textContent = t('record.starting');
    startTimer();
    try {
      await cap.start(); // creates the AudioContext synchronously, inside the click
    } catch (e) {
      if (capture !== cap) return;
      capture = null;
      dispose();
      renderIdle();
      msg.error(captureMessage(e));
      msg.el.setAttribute('data-code', e instanceof CaptureError ? e.kind : 'failed');
      return;
    }
    if (capture !== cap) return; // disposed meanwhile
    cap.onLevel = (p) => {
      peak = Math.max(peak, p);
      maxPeak = Math.max(maxPeak, p);
    };
    cap.onLimit = () => void finish(t('record.limitReached', { max: clock(cap.maxSeconds) }));
    cap.onEnded = () => void finish(t('record.micEnded'));
    setState('recording');
    renderRecording(cap);
  };

  // ---- recording ----
  const renderRecording = (cap: MicCapture) => {
    const max = clock(cap.maxSeconds);
    const elapsed = h('span', { class: 'rec-elapsed', testid: 'record-elapsed', 'data-seconds': '0', role: 'timer', text: t('record.elapsed', { elapsed: clock(0), max }) });
    const meterId = uid('meter');
    const meter = h('meter', { id: meterId, class: 'rec-meter', testid: 'record-level', min: '0', max: '1', low: '0.75', high: '0.92', optimum: '0.5', value: '0', 'data-peak': '0' });
    const stop = h('button', { type: 'button', class: 'btn btn-primary', testid: 'record-stop' }, h('span', { class: 'rec-square', 'aria-hidden': 'true' }), t('record.stop'));
    const cancel = h('button', { type: 'button', class: 'btn btn-ghost', testid: 'record-cancel', text: t('record.cancel') });
    stop.addEventListener('click', () => void finish());
    cancel.addEventListener('click', () => {
      dispose();
      renderIdle();
    });
    replace(
      body,
      h(
        'div',
        { class: 'rec-live', testid: 'record-live', 'data-engine': cap.engine, 'data-rate': String(cap.rate) },
        h('p', { class: 'rec-status' }, h('span', { class: 'rec-dot is-live', 'aria-hidden': 'true' }), h('strong', { text: t('record.recording') }), ' ', elapsed),
        h('div', { class: 'rec-meter-row' }, h('label', { for: meterId, text: t('record.level') }), meter),
      ),
      h('div', { class: 'actions' }, stop, cancel),
    );
    stop.focus();
    let shown = 0;
    tick = () => {
      const s = cap.seconds;
      elapsed.setAttribute('data-seconds', s.toFixed(2));
      if (Math.floor(s) !== shown || s === 0) {
        shown = Math.floor(s);
        elapsed.textContent = t('record.elapsed', { elapsed: clock(s), max });
      }
      // Fast attack, slow release, like a VU meter.
      const level = meterLevel(peak);
      const prev = Number(meter.value) || 0;
      meter.value = level >= prev ? level : prev * 0.6 + level * 0.4;
      meter.setAttribute('data-peak', maxPeak.toFixed(4));
      peak = 0;
    };
  };

  /** Stops the capture and shows the recording; `notice` says why when it was not the user. */
  const finish = async (notice?: string) => {
    const cap = capture;
    if (!cap || state !== 'recording') return;
    setState('stopping');
    replace(body, spinner(t('common.busy'), 'record-stopping'));
    let rec: Recording;
    try {
      rec = await cap.stop();
    } catch (e) {
      if (capture !== cap) return;
      capture = null;
      dispose();
      renderIdle();
      msg.error(captureMessage(e));
      return;
    }
    if (capture !== cap) return;
    capture = null;
    setState('recorded');
    if (notice) msg.info(notice);
    renderRecorded(rec);
  };

  // ---- recorded: listen, use, record again ----
  const renderRecorded = (rec: Recording) => {
    const p = new WavPlayer(rec);
    player = p;
    if (downloadUrl) URL.revokeObjectURL(downloadUrl);
    downloadUrl = URL.createObjectURL(rec.blob);

    const play = h('button', { type: 'button', class: 'btn', testid: 'record-play', 'data-playing': 'false', text: `▶ ${t('record.play')}` });
    const seek = h('input', {
      type: 'range',
      class: 'rec-seek',
      testid: 'record-seek',
      min: '0',
      max: rec.seconds.toFixed(2),
      step: '0.1',
      value: '0',
      'aria-label': t('record.position'),
    });
    const pos = h('span', { class: 'rec-pos', testid: 'record-position', 'data-seconds': '0', text: `${clock(0)} / ${clock(rec.seconds)}` });
    const use = h('button', { type: 'button', class: 'btn btn-primary', testid: 'record-use', text: t('record.use') });
    const again = h('button', { type: 'button', class: 'btn', testid: 'record-again', text: t('record.again') });
    const discard = h('button', { type: 'button', class: 'btn btn-ghost', testid: 'record-discard', text: t('record.discard') });
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    const download = h('a', { class: 'btn btn-ghost', href: downloadUrl, download: `ban-tin-${b.id}-ghi-am-${stamp}.wav`, testid: 'record-download', text: t('record.download') });
    const upBusy = h('div', { class: 'busy-box' });

    const showPlaying = () => {
      play.textContent = p.playing ? `❚❚ ${t('record.pause')}` : `▶ ${t('record.play')}`;
      play.setAttribute('data-playing', String(p.playing));
    };
    const showPosition = () => {
      const at = p.position;
      if (document.activeElement !== seek) seek.value = at.toFixed(2);
      pos.textContent = `${clock(at)} / ${clock(rec.seconds)}`;
      pos.setAttribute('data-seconds', at.toFixed(2));
    };
    p.onEnded = () => {
      showPlaying();
      showPosition();
    };
    play.addEventListener('click', () => {
      msg.clear();
      if (p.playing) {
        p.pause();
        showPlaying();
        showPosition();
        return;
      }
      p.play().then(showPlaying, (e: unknown) => msg.error(t('record.playFailed', { message: e instanceof Error ? e.message : String(e) })));
    });
    seek.addEventListener('input', () => {
      p.seek(Number(seek.value));
      showPosition();
    });
    const confirmDrop = () => rec.seconds < 5 || window.confirm(t('record.confirmDiscard', { duration: fmtDuration(rec.seconds) }));
    again.addEventListener('click', () => {
      if (!confirmDrop()) return;
      dispose();
      renderIdle();
      const start = body.querySelector<HTMLButtonElement>('[data-testid="record-start"]');
      if (start) void begin(start);
    });
    discard.addEventListener('click', () => {
      if (!confirmDrop()) return;
      msg.clear();
      dispose();
      renderIdle();
    });
    use.addEventListener('click', () => {
      msg.clear();
      p.pause();
      showPlaying();
      setState('uploading');
      replace(upBusy, spinner(t('audio.uploading'), 'record-uploading'));
      void busy(
        [use, again, discard, play],
        async () => {
          try {
            const next = await api.uploadAudio(b.id, rec.blob);
            dispose();
            hooks.onUsed(next);
          } catch (err) {
            replace(upBusy);
            setState('recorded');
            msg.error(errorText(err));
          }
        },
        { el: use, busyText: t('common.busy') },
      );
    });

    replace(
      body,
      h('p', { class: 'rec-ready', testid: 'record-ready', 'data-seconds': rec.seconds.toFixed(3), 'data-rate': String(rec.sampleRate), text: t('record.ready', { duration: fmtDuration(rec.seconds) }) }),
      h('div', { class: 'rec-player', testid: 'record-player' }, play, seek, pos),
      h('div', { class: 'actions' }, use, again, discard, download),
      upBusy,
    );
    tick = () => {
      if (p.playing) showPosition();
    };
    play.focus();
  };

  renderIdle();
  return root;
}
