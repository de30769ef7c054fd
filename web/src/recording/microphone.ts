// The microphone as a stream of mono float PCM, shared by the bulletin recorder (capture.ts) and
// the live encoder (components/liveEncoder.ts): getUserMedia (one channel, no echo cancellation,
// noise suppression or gain control) → an AudioContext at the owner's preferred rate (or the
// browser's own, where that rate is refused or the microphone will not feed a context at it) →
// the AudioWorklet of worklet.ts (~50 ms chunks), or a ScriptProcessorNode where AudioWorklet is
// missing → a zero-gain sink, so that the node is pulled without the microphone reaching the
// speakers.

import workletUrl from './worklet.ts?worker&url';

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

/** A getUserMedia or Web Audio failure as a CaptureError ('denied', 'no_mic', 'mic_busy', 'failed'). */
export function toCaptureError(e: unknown): CaptureError {
  const name = e instanceof DOMException || e instanceof Error ? e.name : '';
  const message = e instanceof Error ? e.message : String(e);
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') return new CaptureError('denied', message);
  if (name === 'NotFoundError' || name === 'DevicesNotFoundError' || name === 'OverconstrainedError') return new CaptureError('no_mic', message);
  if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') return new CaptureError('mic_busy', message);
  return new CaptureError('failed', message || name || 'error');
}

/** The peak amplitude (0…1) of a chunk of samples. */
export function peakOf(samples: Float32Array): number {
  let peak = 0;
  for (let i = 0; i < samples.length; i++) {
    const a = Math.abs(samples[i] ?? 0);
    if (a > peak) peak = a;
  }
  return peak;
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

export interface MicrophoneOptions {
  /** The AudioContext rate asked for. */
  rate: number;
  /** Frames per callback of the ScriptProcessorNode fallback. */
  scriptBufferSize: number;
  /** Each chunk of mono samples, as it arrives. */
  onSamples: (samples: Float32Array<ArrayBuffer>) => void;
  /** A track of the microphone ended (unplugged, permission revoked) while open. */
  onEnded: () => void;
}

export class MicrophoneInput {
  /** The AudioContext's rate, once open: the preferred one unless the browser refused it. */
  rate = 0;
  /** "worklet" or "script-processor", once open. */
  engine = '';

  private ctx: AudioContext | null = null;
  private stream: MediaStream | null = null;
  private source: MediaStreamAudioSourceNode | null = null;
  private node: AudioWorkletNode | ScriptProcessorNode | null = null;
  private sink: GainNode | null = null;
  private flushed: (() => void) | null = null;
  private closed = false;

  constructor(private readonly opts: MicrophoneOptions) {}

  /**
   * Asks for the microphone and connects it. Call from a click handler: the AudioContext is
   * created before the first await, while the click still counts as a gesture. Resolves true once
   * samples flow, false when close() was called meanwhile (everything is released). Throws
   * CaptureError, with everything released.
   */
  async open(): Promise<boolean> {
    let ctx = newContext(this.opts.rate);
    this.ctx = ctx;
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: { ideal: 1 }, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
        video: false,
      });
    } catch (e) {
      this.close();
      throw toCaptureError(e);
    }
    if (this.closed) {
      this.close();
      return false;
    }
    try {
      try {
        this.source = ctx.createMediaStreamSource(this.stream);
      } catch {
        // A browser that will not feed the microphone into a context at the asked rate (e.g. one
        // that will not resample it to 16 kHz): a context at its own rate.
        void ctx.close().catch(() => {});
        ctx = newContext();
        this.ctx = ctx;
        this.source = ctx.createMediaStreamSource(this.stream);
      }
      if (ctx.state === 'suspended') await ctx.resume();
      this.rate = ctx.sampleRate;
      this.node = await this.makeNode(ctx);
      if (this.closed) {
        this.close();
        return false;
      }
      // The processing node must reach the destination to be pulled; a zero gain keeps the
      // microphone out of this computer's speakers.
      this.sink = ctx.createGain();
      this.sink.gain.value = 0;
      this.source.connect(this.node);
      this.node.connect(this.sink);
      this.sink.connect(ctx.destination);
      for (const track of this.stream.getAudioTracks()) {
        track.addEventListener('ended', () => {
          if (!this.closed) this.opts.onEnded();
        });
      }
      return true;
    } catch (e) {
      this.close();
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
        node.port.onmessage = (ev: MessageEvent<{ type: string; samples?: Float32Array<ArrayBuffer> }>) => {
          if (ev.data.type === 'data' && ev.data.samples) this.opts.onSamples(ev.data.samples);
          else if (ev.data.type === 'flushed') this.flushed?.();
        };
        this.engine = 'worklet';
        return node;
      } catch {
        /* fall back to the ScriptProcessorNode */
      }
    }
    const sp = ctx.createScriptProcessor(this.opts.scriptBufferSize, 1, 1);
    sp.channelCountMode = 'explicit';
    sp.channelInterpretation = 'speakers';
    sp.onaudioprocess = (ev) => this.opts.onSamples(new Float32Array(ev.inputBuffer.getChannelData(0)));
    this.engine = 'script-processor';
    return sp;
  }

  /**
   * Has the worklet post the samples of its partial chunk (they arrive through onSamples before
   * this resolves) and waits for them, at most `timeoutMs`. Nothing to wait for with a
   * ScriptProcessorNode. The worklet ends after a flush: close() next.
   */
  async flush(timeoutMs = 1000): Promise<void> {
    const node = this.node;
    if (!(node instanceof AudioWorkletNode)) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.flushed = () => {
        clearTimeout(timer);
        resolve();
      };
      node.port.postMessage('flush');
    });
  }

  /** Releases the microphone, the nodes and the AudioContext. Idempotent; also ends an open() under way. */
  close(): void {
    this.closed = true;
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
