// AudioWorklet processor of the recorder (runs on the audio rendering thread). Loaded with
// audioWorklet.addModule() from the URL Vite gives for `./worklet.ts?worker&url`.
//
// The node is created with channelCount 1 / channelCountMode 'explicit', so the browser has
// already mixed the microphone down to mono. Blocks of 128 frames are gathered into chunks of
// about 50 ms and posted (transferred) to the main thread. On "flush" the partial chunk is
// posted, then { type: 'flushed' }, and the processor ends.

export {};

// The AudioWorkletGlobalScope is not in TypeScript's DOM library.
declare const sampleRate: number;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, ctor: new () => AudioWorkletProcessor): void;

class RecorderProcessor extends AudioWorkletProcessor {
  private buf: Float32Array;
  private n = 0;
  private done = false;

  constructor() {
    super();
    const frames = Math.max(128, Math.round(sampleRate / 20 / 128) * 128);
    this.buf = new Float32Array(frames);
    this.port.onmessage = (ev: MessageEvent) => {
      if (ev.data === 'flush' && !this.done) {
        this.post();
        this.done = true;
        this.port.postMessage({ type: 'flushed' });
      } else if (ev.data === 'stop') {
        this.done = true;
      }
    };
  }

  private post(): void {
    if (!this.n) return;
    const out = this.buf.slice(0, this.n);
    this.port.postMessage({ type: 'data', samples: out }, [out.buffer]);
    this.n = 0;
  }

  process(inputs: Float32Array[][]): boolean {
    if (this.done) return false;
    const ch = inputs[0]?.[0];
    if (ch) {
      let i = 0;
      while (i < ch.length) {
        const take = Math.min(ch.length - i, this.buf.length - this.n);
        this.buf.set(ch.subarray(i, i + take), this.n);
        this.n += take;
        i += take;
        if (this.n === this.buf.length) this.post();
      }
    }
    return true;
  }
}

registerProcessor('nguon-recorder', RecorderProcessor);
