/**
 * DICOM RLE Lossless (PS3.5 Annex G): a 64-byte header of up to 15 segment offsets, each segment
 * one byte plane (most significant byte first, sample by sample) compressed with a PackBits
 * variant. Decoded here into little-endian interleaved samples.
 */

export function decodeRle(
  frame: Uint8Array,
  rows: number,
  columns: number,
  bitsAllocated: number,
  samplesPerPixel: number,
): Uint8Array {
  const bytesPerSample = bitsAllocated / 8;
  const pixels = rows * columns;
  if (frame.length < 64) throw new Error("RLE frame shorter than its 64-byte header");
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  const expected = bytesPerSample * samplesPerPixel;
  if (segments !== expected)
    throw new Error(
      `RLE frame has ${segments} segments, expected ${expected} for ${bitsAllocated}-bit ×${samplesPerPixel}`,
    );
  const out = new Uint8Array(pixels * expected);
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : frame.length;
    if (start < 64 || start > end || end > frame.length)
      throw new Error(`RLE segment ${s + 1} offsets are out of range`);
    // Segment order: for each sample, its bytes from most to least significant; output is
    // interleaved (planar configuration 0) and little endian, so each segment fills every
    // `expected`-th byte from its own starting byte.
    const sample = Math.floor(s / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample);
    unpackBits(frame, start, end, out, sample * bytesPerSample + byteInSample, expected, pixels);
  }
  return out;
}

/** PackBits into out[first + k·stride] for k < n. */
function unpackBits(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  first: number,
  stride: number,
  n: number,
): void {
  let i = start;
  let o = 0;
  while (o < n && i < end) {
    const h = src[i++]!;
    if (h < 128) {
      const count = h + 1;
      if (i + count > end) throw new Error("RLE literal run passes the end of its segment");
      const stop = Math.min(n, o + count);
      for (let at = first + o * stride, j = i; o < stop; o++, j++, at += stride) out[at] = src[j]!;
      i += count;
    } else if (h > 128) {
      const count = 257 - h;
      const v = src[i++]!;
      const stop = Math.min(n, o + count);
      for (let at = first + o * stride; o < stop; o++, at += stride) out[at] = v;
    }
    // 128 is a no-op by definition.
  }
  if (o < n) throw new Error(`RLE segment decodes to ${o} bytes, expected ${n}`);
}
