// Audio of a bulletin: the player (Opus served with Range/ETag by /api/v1/media/{id}), speech
// synthesis with voice settings, recording in the browser (./recorder.ts), upload of a recorded
// file, and the spoken text (what the synthesizer will read: numbers, dates and abbreviations
// spelled out).

import { api } from '../api';
import { state } from '../app';
import { busy, field, h, messageBox, replace } from '../dom';
import { errorText } from '../errors';
import { labelOf, t } from '../i18n';
import { VOICES, type Bulletin, type Voice } from '../types';
import { fmtDuration, spinner } from './bulletinBits';
import { recorderSection } from './recorder';

/** Remembered for the session: an editor usually keeps one voice. */
const lastVoice = { voice: 'north' as Voice, rate_wpm: 150, pitch: 50, paragraph_pause_ms: 700 };

export function audioPlayer(b: Bulletin): HTMLElement {
  if (!b.audio) return h('p', { class: 'muted', testid: 'audio-none', text: t('audio.none') });
  const a = b.audio;
  const origin = a.origin === 'tts' ? t('audio.origin.tts', { voice: labelOf('voice', a.voice) }) : a.origin === 'upload' ? t('audio.origin.upload') : a.origin;
  return h(
    'div',
    { class: 'audio-player', testid: 'audio-box', 'data-media-id': a.media_id },
    h('audio', { controls: true, preload: 'metadata', src: a.url, testid: 'audio-player', 'aria-label': t('audio.player') }),
    h(
      'p',
      { class: 'audio-meta' },
      h('span', { testid: 'audio-duration', 'data-seconds': String(a.seconds), text: t('audio.duration', { duration: fmtDuration(a.seconds) }) }),
      h('span', { class: 'muted', testid: 'audio-origin', text: ` · ${origin}` }),
    ),
  );
}

export function spokenTextBox(b: Bulletin): HTMLElement {
  const out = h('div', { class: 'spoken-out', testid: 'spoken-text-out', 'aria-live': 'polite' });
  const details = h(
    'details',
    { class: 'spoken', testid: 'spoken-text-box' },
    h('summary', { testid: 'spoken-text-toggle', text: t('audio.spoken') }),
    out,
  );
  let loaded = false;
  details.addEventListener('toggle', () => {
    if (!details.open || loaded) return;
    loaded = true;
    replace(out, spinner(t('audio.spokenLoading')));
    api.spokenText(b.id).then(
      (r) =>
        replace(
          out,
          h('p', { class: 'hint', text: t('audio.spokenHint') }),
          h('div', { class: 'spoken-text', testid: 'spoken-text', lang: b.language || 'vi', text: r.text }),
        ),
      (err) => {
        loaded = false;
        replace(out, h('p', { class: 'msg msg-error', role: 'alert', testid: 'spoken-text-error', text: errorText(err) }));
      },
    );
  });
  return details;
}

function numberInput(testid: string, value: number, min: number, max: number, step = 1): HTMLInputElement {
  return h('input', { type: 'number', testid, value: String(value), min: String(min), max: String(max), step: String(step), inputmode: 'numeric', class: 'num' });
}

/**
 * The audio card of a bulletin's detail. `canEdit`: the user is an editor of the owner unit.
 * `onChange` receives the bulletin after synthesis or upload (and a notice for the rebuilt panel).
 */
export function audioPanel(
  b: Bulletin,
  canEdit: boolean,
  onChange: (b: Bulletin, notice: string) => void,
  notice?: string,
): HTMLElement {
  const audioOn = state.meta?.audio !== false;
  const editable = canEdit && (b.status === 'draft' || b.status === 'returned');
  const msg = messageBox('audio-msg');
  const parts: (HTMLElement | null)[] = [h('h2', { id: 'audio-title', text: t('audio.title') }), audioPlayer(b), msg.el];

  if (editable && audioOn) {
    const file = h('input', { type: 'file', accept: 'audio/*', testid: 'audio-file' });
    const up = h('button', { type: 'submit', class: 'btn', testid: 'audio-upload', text: t('audio.upload') });
    const upBusy = h('div', { class: 'busy-box' });
    const uploadControls: (HTMLInputElement | HTMLButtonElement)[] = [file, up];

    // ---- synthesis ----
    const voice = h(
      'select',
      { testid: 'synth-voice' },
      VOICES.map((v) => h('option', { value: v, text: labelOf('voice', v) })),
    );
    voice.value = lastVoice.voice;
    const rate = numberInput('synth-rate', lastVoice.rate_wpm, 80, 450, 5);
    const pitch = numberInput('synth-pitch', lastVoice.pitch, 0, 100);
    const pause = numberInput('synth-pause', lastVoice.paragraph_pause_ms, 0, 5000, 50);
    const go = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'synth-submit', text: t('audio.synthesize') });
    const busyBox = h('div', { class: 'busy-box', testid: 'synth-busy-box' });
    const synthForm = h(
      'form',
      { class: 'synth-form', testid: 'synth-form', novalidate: true, 'aria-labelledby': 'synth-title' },
      h('h3', { id: 'synth-title', text: t('audio.synthTitle') }),
      h(
        'div',
        { class: 'form-grid compact' },
        field(t('audio.voice'), voice),
        field(t('audio.rate'), rate),
        field(t('audio.pitch'), pitch),
        field(t('audio.pause'), pause),
      ),
      h('div', { class: 'actions' }, go),
      busyBox,
    );
    const inRange = (input: HTMLInputElement, label: string, min: number, max: number): number | null => {
      const n = Number(input.value);
      if (input.value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
        msg.error(t('audio.range', { label, min, max }));
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return null;
      }
      input.removeAttribute('aria-invalid');
      return n;
    };
    synthForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      msg.clear();
      const r = inRange(rate, t('audio.rate'), 80, 450);
      if (r === null) return;
      const p = inRange(pitch, t('audio.pitch'), 0, 100);
      if (p === null) return;
      const ps = inRange(pause, t('audio.pause'), 0, 5000);
      if (ps === null) return;
      const settings = { voice: voice.value as Voice, rate_wpm: r, pitch: p, paragraph_pause_ms: ps };
      Object.assign(lastVoice, settings);
      replace(busyBox, spinner(t('audio.synthesizing'), 'synth-busy'));
      void busy(
        [voice, rate, pitch, pause, go, ...uploadControls],
        async () => {
          try {
            const updated = await api.synthesize(b.id, settings);
            replace(busyBox);
            onChange(updated, t('audio.synthesized'));
          } catch (err) {
            replace(busyBox);
            msg.error(errorText(err));
          }
        },
        { el: go, busyText: t('common.busy') },
      );
    });

    // ---- upload ----
    const uploadForm = h(
      'form',
      { class: 'upload-form', testid: 'upload-form', novalidate: true, 'aria-labelledby': 'upload-title' },
      h('h3', { id: 'upload-title', text: t('audio.uploadTitle') }),
      h('div', { class: 'inline-form' }, field(t('audio.file'), file, t('audio.fileHint')), up),
      upBusy,
    );
    uploadForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      msg.clear();
      const f = file.files?.[0];
      if (!f) {
        file.focus();
        msg.error(t('audio.fileRequired'));
        return;
      }
      replace(upBusy, spinner(t('audio.uploading'), 'upload-busy'));
      void busy(
        [file, up, go],
        async () => {
          try {
            const updated = await api.uploadAudio(b.id, f);
            replace(upBusy);
            onChange(updated, t('audio.uploaded'));
          } catch (err) {
            replace(upBusy);
            msg.error(errorText(err));
          }
        },
        { el: up, busyText: t('common.busy') },
      );
    });
    // ---- recording in the browser ----
    const recorder = recorderSection(b, {
      onBusy: (active) => {
        for (const c of [voice, rate, pitch, pause, go, file, up]) c.disabled = active;
      },
      onUsed: (updated) => onChange(updated, t('record.used')),
    });
    parts.push(synthForm, recorder, uploadForm);
  } else if (canEdit && audioOn && b.status !== 'archived') {
    parts.push(h('p', { class: 'hint', testid: 'audio-locked', text: t('audio.locked') }));
  }
  if (notice) msg.success(notice);
  if (audioOn) parts.push(spokenTextBox(b));
  return h('section', { class: 'card audio-card', testid: 'audio-panel', 'aria-labelledby': 'audio-title' }, parts);
}
