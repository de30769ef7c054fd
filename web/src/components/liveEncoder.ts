// The audio path of a live broadcast (#/live): microphone → AudioContext at 48 kHz → the recorder's
// AudioWorklet (recording/worklet.ts, ~50 ms chunks of mono float PCM; a ScriptProcessorNode where
// AudioWorklet is missing; all of it recording/microphone.ts, shared with the recorder) → WebCodecs AudioEncoder (Opus, 48 kHz, mono, 32 kbit/s, 20 ms frames)
// → one WebSocket binary message per Opus packet to the session's one-time `audio_url`.
//
// The server sends nothing on the socket; it closes it with 1008 (bad or used token) or 1000 (the
// session was stopped elsewhere, e.g. pre-empted by a higher level). Our own normal close (1000)
// ends the session on the server, like POST /live/{id}/stop.
//
// Order of use: `liveSupport()` and `opusSupported()` before anything; `openMic()` (asks for the
// microphone; samples only feed the level meter until the socket is open); `connect(audioUrl)`;
// `close()` when done (idempotent; also releases the microphone when nothing was connected).

import { MicrophoneInput, peakOf } from '../recording/microphone';

export const LIVE_RATE = 48_000;
/** Packets waiting in the socket beyond this many bytes (~8 s of audio) are dropped, not queued. */
const MAX_BUFFERED_BYTES = 32 * 1024;
/** Encoder input backlog (AudioData objects) beyond which new audio is dropped. */
const MAX_ENCODE_QUEUE = 32;

/** The Opus settings of the contract; `application` is not in TypeScript's DOM library yet. */
export const OPUS_CONFIG: AudioEncoderConfig = {
  codec: 'opus',
  sampleRate: LIVE_RATE,
  numberOfChannels: 1,
  bitrate: 32_000,
  opus: { frameDuration: 20_000, format: 'opus', application: 'voip' } as OpusEncoderConfig,
};

/**
 * What stops this browser from going live, before asking for anything: not a secure context (no
 * microphone API over plain HTTP except on localhost), no microphone API or Web Audio, or no
 * WebCodecs AudioEncoder (older Safari/Firefox).
 */
export type LiveSupport = 'ok' | 'insecure' | 'no_mic_api' | 'no_encoder' | 'no_websocket';

export function liveSupport(): LiveSupport {
  if (!window.isSecureContext) return 'insecure';
  if (!navigator.mediaDevices?.getUserMedia || typeof AudioContext === 'undefined') return 'no_mic_api';
  if (typeof AudioEncoder === 'undefined' || typeof AudioData === 'undefined' || typeof EncodedAudioChunk === 'undefined') return 'no_encoder';
  if (typeof WebSocket === 'undefined') return 'no_websocket';
  return 'ok';
}

/** Whether the AudioEncoder takes the contract's Opus configuration. */
export async function opusSupported(): Promise<boolean> {
  try {
    const r = await AudioEncoder.isConfigSupported(OPUS_CONFIG);
    return r.supported === true;
  } catch {
    return false;
  }
}

/** The WebSocket URL of an `audio_url` path (same host; ws: or wss: as the page). */
export function socketUrl(audioUrl: string): string {
  if (/^wss?:\/\//i.test(audioUrl)) return audioUrl;
  if (/^https?:\/\//i.test(audioUrl)) return audioUrl.replace(/^http/i, 'ws');
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${audioUrl.startsWith('/') ? '' : '/'}${audioUrl}`;
}

/** Streaming linear resampler, for a browser that will not run the AudioContext at 48 kHz. */
class Resampler {
  private pos = 0;
  private last = 0;
  private readonly step: number;

  constructor(from: number, to: number) {
    this.step = from / to;
  }

  push(input: Float32Array): Float32Array<ArrayBuffer> {
    // Positions are relative to the sample before input[0] (`last`, index -1).
    const out: number[] = [];
    while (this.pos < input.length - 1) {
      const i = Math.floor(this.pos);
      const frac = this.pos - i;
      const a = i < 0 ? this.last : (input[i] ?? 0);
      const b = input[i + 1] ?? 0;
      out.push(a + (b - a) * frac);
      this.pos += this.step;
    }
    this.pos -= input.length;
    this.last = input[input.length - 1] ?? 0;
    return Float32Array.from(out);
  }
}

export type SocketState = 'idle' | 'connecting' | 'open' | 'closed';

/** How the socket ended. `byUs`: close() was called first. */
export interface SocketEnd {
  code: number;
  reason: string;
  byUs: boolean;
  /** Whether it had opened at all. */
  opened: boolean;
}

export class LiveEncoder {
  /** Peak (0…1) of each chunk of microphone audio. */
  onLevel: (peak: number) => void = () => {};
  onSocketOpen: () => void = () => {};
  /** The socket closed without close() (server, network): everything is released already. */
  onSocketClose: (end: SocketEnd) => void = () => {};
  /** The encoder failed (everything is released; the socket is closed). */
  onEncoderError: (message: string) => void = () => {};
  /** The microphone went away (unplugged, permission revoked). */
  onMicEnded: () => void = () => {};

  /** Opus packets and their bytes handed to the socket. */
  packets = 0;
  bytes = 0;
  /** Packets (or chunks of input) dropped because the socket or the encoder fell behind. */
  dropped = 0;
  socketState: SocketState = 'idle';
  /** The AudioContext's rate (48000 unless the browser refused it: then resampled). */
  rate = 0;
  /** "worklet" or "script-processor", once the microphone is open. */
  engine = '';

  private mic: MicrophoneInput | null = null;
  private encoder: AudioEncoder | null = null;
  private resampler: Resampler | null = null;
  private ws: WebSocket | null = null;
  private frames = 0;
  private sending = false;
  private closedByUs = false;
  private released = false;

  /**
   * Asks for the microphone and starts listening to it (level only). Throws CaptureError
   * ('denied', 'no_mic', 'mic_busy', 'failed').
   */
  async openMic(): Promise<void> {
    if (this.released) return;
    const mic = new MicrophoneInput({
      rate: LIVE_RATE,
      scriptBufferSize: 2048,
      onSamples: (samples) => this.take(samples),
      onEnded: () => {
        if (!this.released) this.onMicEnded();
      },
    });
    this.mic = mic;
    try {
      if (!(await mic.open())) return; // closed meanwhile
    } catch (e) {
      this.release();
      throw e;
    }
    this.rate = mic.rate;
    this.engine = mic.engine;
    // A browser that will not run the context at 48 kHz: its own rate, resampled.
    if (this.rate !== LIVE_RATE) this.resampler = new Resampler(this.rate, LIVE_RATE);
  }

  /** Opens the audio socket; audio flows once it is open. */
  connect(audioUrl: string): void {
    if (this.released || this.ws) return;
    let ws: WebSocket;
    try {
      ws = new WebSocket(socketUrl(audioUrl));
    } catch (e) {
      // A malformed URL: reported like a socket that never opened.
      queueMicrotask(() => this.socketEnded({ code: 1006, reason: e instanceof Error ? e.message : String(e), byUs: false, opened: false }));
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.socketState = 'connecting';
    let opened = false;
    ws.addEventListener('open', () => {
      if (this.ws !== ws) return;
      opened = true;
      this.socketState = 'open';
      if (!this.startEncoder()) return;
      this.sending = true;
      this.onSocketOpen();
    });
    ws.addEventListener('close', (ev) => {
      if (this.ws !== ws) return;
      this.socketEnded({ code: ev.code, reason: ev.reason, byUs: this.closedByUs, opened });
    });
    // An 'error' is always followed by 'close', which reports it.
  }

  private socketEnded(end: SocketEnd): void {
    this.socketState = 'closed';
    this.sending = false;
    const byUs = this.closedByUs;
    this.release();
    if (!byUs) this.onSocketClose(end);
  }

  private startEncoder(): boolean {
    try {
      const enc = new AudioEncoder({
        output: (chunk) => this.send(chunk),
        error: (e) => this.fail(e instanceof Error ? e.message : String(e)),
      });
      enc.configure(OPUS_CONFIG);
      this.encoder = enc;
      this.frames = 0;
      return true;
    } catch (e) {
      this.fail(e instanceof Error ? e.message : String(e));
      return false;
    }
  }

  private fail(message: string): void {
    if (this.released) return;
    this.closedByUs = true;
    this.closeSocket();
    this.release();
    this.onEncoderError(message);
  }

  private take(samples: Float32Array<ArrayBuffer>): void {
    if (this.released) return;
    this.onLevel(peakOf(samples));
    const enc = this.encoder;
    if (!this.sending || !enc || enc.state !== 'configured') return;
    const pcm = this.resampler ? this.resampler.push(samples) : samples;
    if (!pcm.length) return;
    if (enc.encodeQueueSize > MAX_ENCODE_QUEUE) {
      this.dropped++;
      this.frames += pcm.length;
      return;
    }
    const data = new AudioData({
      format: 'f32-planar',
      sampleRate: LIVE_RATE,
      numberOfFrames: pcm.length,
      numberOfChannels: 1,
      timestamp: Math.round((this.frames * 1_000_000) / LIVE_RATE),
      data: pcm,
    });
    this.frames += pcm.length;
    try {
      enc.encode(data);
    } catch (e) {
      this.fail(e instanceof Error ? e.message : String(e));
    } finally {
      data.close();
    }
  }

  /** One Opus packet → one binary message. */
  private send(chunk: EncodedAudioChunk): void {
    const ws = this.ws;
    if (!this.sending || !ws || ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.dropped++;
      return;
    }
    const buf = new ArrayBuffer(chunk.byteLength);
    chunk.copyTo(buf);
    ws.send(buf);
    this.packets++;
    this.bytes += chunk.byteLength;
  }

  /** Stops sending at once (the socket stays open until close()). */
  pause(): void {
    this.sending = false;
  }

  /** Ends everything: a normal close of the socket (which ends the session), microphone, encoder. */
  close(reason = 'stopped'): void {
    this.closedByUs = true;
    this.sending = false;
    this.closeSocket(reason);
    this.release();
  }

  private closeSocket(reason = ''): void {
    const ws = this.ws;
    if (ws && (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN)) {
      try {
        ws.close(1000, reason.slice(0, 100));
      } catch {
        /* already closing */
      }
    }
    if (this.socketState !== 'idle') this.socketState = 'closed';
  }

  get active(): boolean {
    return !this.released;
  }

  private release(): void {
    this.released = true;
    this.sending = false;
    const enc = this.encoder;
    this.encoder = null;
    if (enc && enc.state !== 'closed') {
      try {
        enc.close();
      } catch {
        /* already closed */
      }
    }
    this.mic?.close();
    this.mic = null;
  }
}
