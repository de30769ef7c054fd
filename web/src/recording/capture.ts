// Microphone capture as raw PCM: getUserMedia → AudioContext → AudioWorkletNode (a small module
// bundled by Vite) or, where AudioWorklet is missing, a ScriptProcessorNode (all of it in
// microphone.ts, shared with the live encoder). The samples are kept
// as 16-bit mono and become a WAV on stop. MediaRecorder is not used: it gives WebM/Opus, which
// the server does not decode.
//
// Sample rate: the AudioContext is asked for 16 kHz (ample for speech on loudspeakers, and a
// third of the bytes of 48 kHz); a browser that cannot feed a microphone into a context of another
// rate gets a context at its own rate. The WAV is written at the context's rate, whatever it is.
//
// Length: at most 30 minutes, and never more than the server's default upload limit for audio
// (audio.max_upload_bytes = 50 MiB; /meta does not report it), which at 16 kHz is 27 min 18 s and
// at 48 kHz 9 min 6 s.

import { CaptureError, MicrophoneInput, peakOf } from './microphone';
import { WAV_HEADER_BYTES, encodeWav, floatToInt16 } from './wav';

export { CaptureError, type CaptureErrorKind } from './microphone';

export const PREFERRED_RATE = 16000;
export const MAX_SECONDS = 30 * 60;
export const UPLOAD_LIMIT_BYTES = 50 * 1024 * 1024;

export type CaptureSupport = 'ok' | 'insecure' | 'unsupported';

export interface Recording {
  blob: Blob;
  sampleRate: number;
  samples: number;
  seconds: number;
}

/** Whether this page can record: getUserMedia exists only in secure contexts (HTTPS, localhost). */
export function captureSupport(): CaptureSupport {
  if (!window.isSecureContext) return 'insecure';
  if (!navigator.mediaDevices?.getUserMedia || typeof AudioContext === 'undefined') return 'unsupported';
  return 'ok';
}

/** The longest recording at `rate`: 30 minutes or the upload limit, whichever is shorter. */
export function maxSamplesAt(rate: number): number {
  return Math.min(MAX_SECONDS * rate, Math.floor((UPLOAD_LIMIT_BYTES - WAV_HEADER_BYTES) / 2));
}

export class MicCapture {
  /** Peak (0…1) of each chunk as it arrives. */
  onLevel: (peak: number) => void = () => {};
  /** The length limit was reached: capture has stopped taking samples; call stop(). */
  onLimit: () => void = () => {};
  /** The microphone went away (unplugged, revoked); call stop() to keep what was recorded. */
  onEnded: () => void = () => {};

  private mic: MicrophoneInput | null = null;
  private chunks: Int16Array<ArrayBuffer>[] = [];
  private taken = 0;
  private limit = 0;
  private recording = false;
  private aborted = false;
  rate = 0;
  /** "worklet" or "script-processor", once started. */
  engine = '';

  /** Seconds recorded so far. */
  get seconds(): number {
    return this.rate ? this.taken / this.rate : 0;
  }

  get maxSeconds(): number {
    return this.rate ? this.limit / this.rate : MAX_SECONDS;
  }

  /**
   * Asks for the microphone and starts taking samples. Call from a click handler (the
   * AudioContext is created before the first await, while the click still counts as a gesture).
   * Throws CaptureError.
   */
  async start(): Promise<void> {
    if (this.aborted) return;
    const mic = new MicrophoneInput({
      rate: PREFERRED_RATE,
      scriptBufferSize: 4096,
      onSamples: (samples) => this.take(samples),
      onEnded: () => {
        if (this.recording) this.onEnded();
      },
    });
    this.mic = mic;
    try {
      if (!(await mic.open())) return; // aborted meanwhile
    } catch (e) {
      this.release();
      throw e;
    }
    this.rate = mic.rate;
    this.engine = mic.engine;
    this.limit = maxSamplesAt(this.rate);
    this.recording = true;
  }

  private take(f32: Float32Array): void {
    if (!this.recording) return;
    const n = Math.min(f32.length, this.limit - this.taken);
    if (n > 0) {
      const part = n < f32.length ? f32.subarray(0, n) : f32;
      this.chunks.push(floatToInt16(part));
      this.taken += n;
      this.onLevel(peakOf(part));
    }
    if (this.taken >= this.limit) {
      this.recording = false;
      this.onLimit();
    }
  }

  /** Stops and returns the WAV. Throws CaptureError('empty') when nothing was recorded. */
  async stop(): Promise<Recording> {
    // The samples still in the worklet's chunk; posted before "flushed", so they arrive first.
    if (this.recording) await this.mic?.flush();
    this.recording = false;
    this.release();
    const chunks = this.chunks;
    this.chunks = [];
    if (!this.taken) throw new CaptureError('empty', 'no samples');
    const blob = encodeWav(chunks, this.rate);
    return { blob, sampleRate: this.rate, samples: this.taken, seconds: this.taken / this.rate };
  }

  /** Stops everything and drops the samples. */
  abort(): void {
    this.aborted = true;
    this.recording = false;
    this.chunks = [];
    this.release();
  }

  private release(): void {
    this.mic?.close();
    this.mic = null;
  }
}

/**
 * Plays a recorded WAV through Web Audio. (An <audio src="blob:…"> would be simpler, but the
 * console's Content-Security-Policy, default-src 'self', does not allow blob: media.)
 */
export class WavPlayer {
  onEnded: () => void = () => {};
  private ctx: AudioContext | null = null;
  private buffer: AudioBuffer | null = null;
  private src: AudioBufferSourceNode | null = null;
  private startedAt = 0;
  private offset = 0;
  playing = false;

  constructor(private readonly rec: Recording) {}

  get duration(): number {
    return this.rec.seconds;
  }

  get position(): number {
    if (this.playing && this.ctx) return Math.min(this.duration, this.ctx.currentTime - this.startedAt);
    return this.offset;
  }

  private async load(): Promise<{ ctx: AudioContext; buffer: AudioBuffer }> {
    if (!this.ctx) this.ctx = new AudioContext();
    if (!this.buffer) {
      const bytes = await this.rec.blob.arrayBuffer();
      const pcm = new Int16Array(bytes, WAV_HEADER_BYTES, this.rec.samples);
      const buffer = this.ctx.createBuffer(1, this.rec.samples, this.rec.sampleRate);
      const out = buffer.getChannelData(0);
      for (let i = 0; i < pcm.length; i++) out[i] = (pcm[i] ?? 0) / 32768;
      this.buffer = buffer;
    }
    return { ctx: this.ctx, buffer: this.buffer };
  }

  async play(): Promise<void> {
    const { ctx, buffer } = await this.load();
    if (ctx.state === 'suspended') await ctx.resume();
    this.halt();
    if (this.offset >= this.duration - 0.01) this.offset = 0;
    const src = ctx.createBufferSource();
    src.buffer = buffer;
    src.connect(ctx.destination);
    src.onended = () => {
      if (this.src !== src) return;
      this.src = null;
      this.playing = false;
      this.offset = 0;
      this.onEnded();
    };
    this.startedAt = ctx.currentTime - this.offset;
    src.start(0, this.offset);
    this.src = src;
    this.playing = true;
  }

  pause(): void {
    this.offset = this.position;
    this.halt();
  }

  seek(seconds: number): void {
    const wasPlaying = this.playing;
    this.halt();
    this.offset = Math.max(0, Math.min(this.duration, seconds));
    if (wasPlaying) void this.play();
  }

  private halt(): void {
    const src = this.src;
    this.src = null;
    this.playing = false;
    if (src) {
      src.onended = null;
      try {
        src.stop();
      } catch {
        /* not started */
      }
      src.disconnect();
    }
  }

  dispose(): void {
    this.halt();
    if (this.ctx && this.ctx.state !== 'closed') void this.ctx.close().catch(() => {});
    this.ctx = null;
    this.buffer = null;
  }
}
