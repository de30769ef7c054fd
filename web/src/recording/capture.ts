// Microphone capture as raw PCM: getUserMedia → AudioContext → AudioWorkletNode (a small module
// bundled by Vite) or, where AudioWorklet is missing, a ScriptProcessorNode. The samples are kept
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

import workletUrl from './worklet.ts?worker&url';
import { WAV_HEADER_BYTES, encodeWav, floatToInt16 } from './wav';

export const PREFERRED_RATE = 16000;
export const MAX_SECONDS = 30 * 60;
export const UPLOAD_LIMIT_BYTES = 50 * 1024 * 1024;

export type CaptureSupport = 'ok' | 'insecure' | 'unsupported';
export type CaptureErrorKind = 'denied' | 'no_mic' | 'mic_busy' | 'empty' | 'failed';

export class CaptureError extends Error {
  constructor(
    readonly kind: CaptureErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'CaptureError';
  }
}

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

function toCaptureError(e: unknown): CaptureError {
  const name = e instanceof DOMException || e instanceof Error ? e.name : '';
  const message = e instanceof Error ? e.message : String(e);
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') return new CaptureError('denied', message);
  if (name === 'NotFoundError' || name === 'DevicesNotFoundError' || name === 'OverconstrainedError') return new CaptureError('no_mic', message);
  if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') return new CaptureError('mic_busy', message);
  return new CaptureError('failed', message || name || 'error');
}

function newContext(rate?: number): AudioContext {
  if (rate) {
    try {
      return new AudioContext({ sampleRate: rate, latencyHint: 'interactive' });
    } catch {
      /* rate not supported: the default one */
    }
  }
  return new AudioContext({ latencyHint: 'interactive' });
}

export class MicCapture {
  /** Peak (0…1) of each chunk as it arrives. */
  onLevel: (peak: number) => void = () => {};
  /** The length limit was reached: capture has stopped taking samples; call stop(). */
  onLimit: () => void = () => {};
  /** The microphone went away (unplugged, revoked); call stop() to keep what was recorded. */
  onEnded: () => void = () => {};

  private ctx: AudioContext | null = null;
  private stream: MediaStream | null = null;
  private source: MediaStreamAudioSourceNode | null = null;
  private node: AudioWorkletNode | ScriptProcessorNode | null = null;
  private sink: GainNode | null = null;
  private chunks: Int16Array<ArrayBuffer>[] = [];
  private taken = 0;
  private limit = 0;
  private recording = false;
  private aborted = false;
  private flushed: (() => void) | null = null;
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
    let ctx = newContext(PREFERRED_RATE);
    this.ctx = ctx;
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: { ideal: 1 }, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
        video: false,
      });
    } catch (e) {
      this.release();
      throw toCaptureError(e);
    }
    if (this.aborted) {
      this.release();
      return;
    }
    try {
      try {
        this.source = ctx.createMediaStreamSource(this.stream);
      } catch {
        // e.g. a browser that will not resample a microphone into a 16 kHz context.
        void ctx.close().catch(() => {});
        ctx = newContext();
        this.ctx = ctx;
        this.source = ctx.createMediaStreamSource(this.stream);
      }
      if (ctx.state === 'suspended') await ctx.resume();
      this.rate = ctx.sampleRate;
      this.limit = maxSamplesAt(this.rate);
      this.node = await this.makeNode(ctx);
      if (this.aborted) {
        this.release();
        return;
      }
      // The processing node must reach the destination to be pulled; a zero gain keeps the
      // microphone out of the speakers.
      this.sink = ctx.createGain();
      this.sink.gain.value = 0;
      this.source.connect(this.node);
      this.node.connect(this.sink);
      this.sink.connect(ctx.destination);
      for (const track of this.stream.getAudioTracks()) {
        track.addEventListener('ended', () => {
          if (this.recording) this.onEnded();
        });
      }
      this.recording = true;
    } catch (e) {
      this.release();
      throw toCaptureError(e);
    }
  }

  private async makeNode(ctx: AudioContext): Promise<AudioWorkletNode | ScriptProcessorNode> {
    if (ctx.audioWorklet && typeof AudioWorkletNode !== 'undefined') {
      try {
        await ctx.audioWorklet.addModule(workletUrl);
        const node = new AudioWorkletNode(ctx, 'nguon-recorder', {
          numberOfInputs: 1,
          numberOfOutputs: 1,
          outputChannelCount: [1],
          channelCount: 1,
          channelCountMode: 'explicit',
          channelInterpretation: 'speakers',
        });
        node.port.onmessage = (ev: MessageEvent<{ type: string; samples?: Float32Array }>) => {
          if (ev.data.type === 'data' && ev.data.samples) this.take(ev.data.samples);
          else if (ev.data.type === 'flushed') this.flushed?.();
        };
        this.engine = 'worklet';
        return node;
      } catch {
        /* fall back to the ScriptProcessorNode */
      }
    }
    const sp = ctx.createScriptProcessor(4096, 1, 1);
    sp.channelCountMode = 'explicit';
    sp.channelInterpretation = 'speakers';
    sp.onaudioprocess = (ev) => this.take(ev.inputBuffer.getChannelData(0));
    this.engine = 'script-processor';
    return sp;
  }

  private take(f32: Float32Array): void {
    if (!this.recording) return;
    const n = Math.min(f32.length, this.limit - this.taken);
    if (n > 0) {
      const part = n < f32.length ? f32.subarray(0, n) : f32;
      this.chunks.push(floatToInt16(part));
      this.taken += n;
      let peak = 0;
      for (let i = 0; i < part.length; i++) {
        const a = Math.abs(part[i] ?? 0);
        if (a > peak) peak = a;
      }
      this.onLevel(peak);
    }
    if (this.taken >= this.limit) {
      this.recording = false;
      this.onLimit();
    }
  }

  /** Stops and returns the WAV. Throws CaptureError('empty') when nothing was recorded. */
  async stop(): Promise<Recording> {
    const node = this.node;
    if (node instanceof AudioWorkletNode && this.recording) {
      // The samples still in the worklet's chunk; posted before "flushed", so they arrive first.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        this.flushed = () => {
          clearTimeout(timer);
          resolve();
        };
        node.port.postMessage('flush');
      });
    }
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
    this.flushed = null;
    try {
      this.source?.disconnect();
      this.node?.disconnect();
      this.sink?.disconnect();
    } catch {
      /* already disconnected */
    }
    if (this.node instanceof AudioWorkletNode) {
      this.node.port.postMessage('stop');
      this.node.port.onmessage = null;
    } else if (this.node) {
      this.node.onaudioprocess = null;
    }
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    if (this.ctx && this.ctx.state !== 'closed') void this.ctx.close().catch(() => {});
    this.source = null;
    this.node = null;
    this.sink = null;
    this.stream = null;
    this.ctx = null;
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
