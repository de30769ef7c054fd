// 16-bit PCM mono WAV (RIFF), built in the browser: the server decodes WAV, FLAC, Ogg and MP3 but
// not the WebM that MediaRecorder produces.

export const WAV_HEADER_BYTES = 44;

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Float samples in [-1, 1] → signed 16-bit (clamped, rounded), little-endian in memory. */
export function floatToInt16(src: Float32Array): Int16Array<ArrayBuffer> {
  const out = new Int16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const s = src[i] ?? 0;
    const v = s >= 1 ? 32767 : s <= -1 ? -32768 : Math.round(s * 32767);
    out[i] = Number.isNaN(v) ? 0 : v;
  }
  if (!littleEndian) {
    const bytes = new DataView(out.buffer);
    for (let i = 0; i < out.length; i++) bytes.setInt16(i * 2, out[i] ?? 0, true);
  }
  return out;
}

/** The 44-byte header of a PCM WAV: 1 channel, 16 bits, `sampleRate`, `dataBytes` of samples. */
export function wavHeader(sampleRate: number, dataBytes: number): ArrayBuffer {
  const buf = new ArrayBuffer(WAV_HEADER_BYTES);
  const v = new DataView(buf);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) v.setUint8(at + i, s.charCodeAt(i));
  };
  ascii(0, 'RIFF');
  v.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, 16, true); // fmt chunk size
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * 2, true); // byte rate
  v.setUint16(32, 2, true); // block align
  v.setUint16(34, 16, true); // bits per sample
  ascii(36, 'data');
  v.setUint32(40, dataBytes, true);
  return buf;
}

/** A WAV Blob (audio/wav) from 16-bit mono chunks. */
export function encodeWav(chunks: Int16Array<ArrayBuffer>[], sampleRate: number): Blob {
  const samples = chunks.reduce((n, c) => n + c.length, 0);
  const parts: BlobPart[] = [wavHeader(sampleRate, samples * 2)];
  for (const c of chunks) parts.push(c);
  return new Blob(parts, { type: 'audio/wav' });
}
