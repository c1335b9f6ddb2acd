/**
 * Frame decoding: from a file's bytes to stored sample values in a preallocated output array.
 * Compressed frames go through the codec packages (codecs.ts) or the RLE decoder (rle.ts); native
 * frames are viewed in place. Stored values are then masked to BitsStored, sign-extended for
 * signed data, inverted for MONOCHROME1, and colour turned into luminance.
 */
import { type CodecJob, type DecodedFrame, type WasmCodec, withRgbHint } from "./codecs.js";
import { type Fragment, frameBytes, framesOf } from "./fragments.js";
import type { DicomHeader, PixelFormat } from "./header.js";
import { decodeRle } from "./rle.js";

type Samples = Uint8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;
export type Writable =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array;

/** The codec a header needs before its frames can be decoded, if any. */
export function wasmCodecFor(h: DicomHeader): WasmCodec | undefined {
  const e = h.syntax.encoding;
  if (e === "jpeg-baseline" || e === "jpeg-extended") return "jpeg-baseline";
  if (e === "jpeg-ls" || e === "jpeg-2000") return e;
  return undefined;
}

/** Checks that a header's pixel format is one medadapt decodes; returns the problem otherwise. */
export function formatProblem(h: DicomHeader): string | undefined {
  const f = h.format;
  if (![8, 16, 32].includes(f.bitsAllocated))
    return `BitsAllocated ${f.bitsAllocated} is not supported (8, 16 or 32)`;
  if (
    f.bitsStored < 1 ||
    f.bitsStored > f.bitsAllocated ||
    f.highBit + 1 < f.bitsStored ||
    f.highBit >= f.bitsAllocated
  )
    return `inconsistent BitsStored ${f.bitsStored} / HighBit ${f.highBit} for BitsAllocated ${f.bitsAllocated}`;
  if (f.samplesPerPixel !== 1 && f.samplesPerPixel !== 3)
    return `SamplesPerPixel ${f.samplesPerPixel} is not supported (1 or 3)`;
  if (f.samplesPerPixel === 1 && !f.photometric.startsWith("MONOCHROME"))
    return `photometric interpretation ${f.photometric} is not supported for one sample per pixel (palette colour images are refused)`;
  const e = h.syntax.encoding;
  if (e === "jpeg-baseline" && f.bitsAllocated !== 8)
    return `JPEG baseline with BitsAllocated ${f.bitsAllocated} is not valid (8 expected)`;
  if (e === "jpeg-extended" && f.bitsStored > 8)
    return `12-bit JPEG Extended (${h.syntax.uid}) is not supported: no 12-bit lossy JPEG decoder is available; convert with e.g. dcmdjpeg first`;
  if (e !== "native" && e !== "rle" && f.bitsAllocated === 32)
    return `${h.syntax.name} with 32-bit samples is not supported`;
  return undefined;
}

/** Samples per pixel as stored natively: YBR_FULL_422 keeps one Cb and Cr per pair of pixels. */
function samplesStored(f: PixelFormat): number {
  return f.samplesPerPixel === 3 && f.photometric === "YBR_FULL_422" ? 2 : f.samplesPerPixel;
}

/** Y1 Y2 Cb Cr per pixel pair → Y Cb Cr per pixel (interleaved, like the other colour paths). */
function expand422(s: Samples, pixels: number): Samples {
  const out = s instanceof Uint8Array ? new Uint8Array(pixels * 3) : new Uint16Array(pixels * 3);
  for (let p = 0; p + 1 < pixels; p += 2) {
    const q = 2 * p;
    const cb = s[q + 2]!;
    const cr = s[q + 3]!;
    out[3 * p] = s[q]!;
    out[3 * p + 1] = cb;
    out[3 * p + 2] = cr;
    out[3 * p + 3] = s[q + 1]!;
    out[3 * p + 4] = cb;
    out[3 * p + 5] = cr;
  }
  return out;
}

/** Bytes of one native frame, or the problem when the element is too short. */
function nativeFrame(h: DicomHeader, bytes: Uint8Array, frame: number): Uint8Array {
  const f = h.format;
  const len = (f.rows * f.columns * samplesStored(f) * f.bitsAllocated) / 8;
  const start = h.pixel.offset + frame * len;
  if (start + len > h.pixel.offset + h.pixel.length || start + len > bytes.length)
    throw new Error(
      `pixel data holds ${h.pixel.length} bytes, too few for ${h.numberOfFrames} frame(s) of ${f.columns}×${f.rows}×${f.samplesPerPixel} at ${f.bitsAllocated} bits`,
    );
  return bytes.subarray(start, start + len);
}

/** A typed view of little- or big-endian sample bytes, copying only when alignment or byte order require it. */
function viewSamples(raw: Uint8Array, bitsAllocated: number, bigEndian: boolean, vr?: string): Samples {
  if (bitsAllocated === 8) return raw;
  const width = bitsAllocated / 8;
  // Big-endian byte order is a property of the VR: OW swaps 16-bit words even when a sample
  // spans two of them (as DCMTK writes 32-bit data), OL swaps 32-bit words.
  const swap = vr === "OW" ? 2 : vr === "OL" ? 4 : width;
  let b = raw;
  // Copy with the Uint8Array constructor: a Buffer's slice() is a view, and the swap is in place.
  if (bigEndian || raw.byteOffset % width !== 0) b = new Uint8Array(raw);
  if (bigEndian) {
    if (swap === 2) {
      for (let i = 0; i + 1 < b.length; i += 2) {
        const t = b[i]!;
        b[i] = b[i + 1]!;
        b[i + 1] = t;
      }
    } else {
      for (let i = 0; i + 3 < b.length; i += 4) {
        let t = b[i]!;
        b[i] = b[i + 3]!;
        b[i + 3] = t;
        t = b[i + 1]!;
        b[i + 1] = b[i + 2]!;
        b[i + 2] = t;
      }
    }
  }
  return width === 2
    ? new Uint16Array(b.buffer, b.byteOffset, b.length >> 1)
    : new Uint32Array(b.buffer, b.byteOffset, b.length >> 2);
}

/** Whether colour samples come out of the decoder already converted from YCbCr to RGB. */
export function decodesToRgb(h: DicomHeader): boolean {
  const e = h.syntax.encoding;
  return e === "jpeg-baseline" || e === "jpeg-extended" || e === "jpeg-2000";
}

/** Either samples ready to store, or a compressed frame for a codec (run here or in a worker). */
export type FramePart = { samples: Samples } | { job: CodecJob };

/** Per-file state while decoding: frames of encapsulated data are grouped once. */
export class FrameSource {
  readonly #h: DicomHeader;
  readonly #bytes: Uint8Array;
  #frames: Fragment[][] | undefined;

  constructor(h: DicomHeader, bytes: Uint8Array) {
    this.#h = h;
    this.#bytes = h.bytes ?? bytes;
  }

  /** Frame `f`: native and RLE frames as interleaved stored samples, others as a codec job. */
  frame(f: number): FramePart {
    const h = this.#h;
    const fmt = h.format;
    const enc = h.syntax.encoding;
    if (enc === "native") {
      const raw = nativeFrame(h, this.#bytes, f);
      const s = viewSamples(raw, fmt.bitsAllocated, h.syntax.bigEndian === true, h.pixel.vr);
      if (samplesStored(fmt) === 2) return { samples: expand422(s, fmt.rows * fmt.columns) };
      return { samples: fmt.samplesPerPixel === 3 && fmt.planarConfiguration === 1 ? interleave(s) : s };
    }
    const encapsulated = h.pixel.encapsulated;
    if (!encapsulated) throw new Error(`${h.syntax.name} requires encapsulated pixel data, found native`);
    this.#frames ??= framesOf(this.#bytes, encapsulated, h.numberOfFrames);
    const parts = this.#frames[f];
    if (!parts || parts.length === 0)
      throw new Error(
        `frame ${f + 1} of ${h.numberOfFrames} has no compressed data (${this.#frames.length} found)`,
      );
    const data = frameBytes(this.#bytes, parts);
    if (enc === "rle") {
      const out = decodeRle(data, fmt.rows, fmt.columns, fmt.bitsAllocated, fmt.samplesPerPixel);
      return { samples: viewSamples(out, fmt.bitsAllocated, false) };
    }
    if (enc === "jpeg-lossless")
      return { job: { codec: "jpeg-lossless", data, bitsAllocated: fmt.bitsAllocated } };
    const codec = wasmCodecFor(h)!;
    const rgbJpeg = codec === "jpeg-baseline" && fmt.samplesPerPixel === 3 && fmt.photometric === "RGB";
    return { job: { codec, data: rgbJpeg ? withRgbHint(data) : data, bitsAllocated: fmt.bitsAllocated } };
  }
}

/** Checks a decoded frame against the header; returns its samples. */
export function checkDecoded(h: DicomHeader, f: number, d: DecodedFrame): Samples {
  const fmt = h.format;
  if (d.width !== fmt.columns || d.height !== fmt.rows || d.components !== fmt.samplesPerPixel)
    throw new Error(
      `compressed frame ${f + 1} is ${d.width}×${d.height}×${d.components}, header says ${fmt.columns}×${fmt.rows}×${fmt.samplesPerPixel}`,
    );
  return d.samples;
}

function interleave(s: Samples): Samples {
  const n = s.length / 3;
  // Not s.constructor: for 8-bit data `s` may be a Buffer.
  const out =
    s instanceof Uint8Array
      ? new Uint8Array(s.length)
      : new (s.constructor as new (n: number) => Samples)(s.length);
  for (let p = 0; p < n; p++) {
    out[3 * p] = s[p]!;
    out[3 * p + 1] = s[n + p]!;
    out[3 * p + 2] = s[2 * n + p]!;
  }
  return out;
}

export interface StoreOptions {
  /** Apply slope/intercept while storing (float output). */
  rescale?: { slope: number; intercept: number };
  /** Colour samples are Y/Cb/Cr (take Y) rather than R/G/B (weigh them). */
  ycbcr?: boolean;
}

/**
 * Writes one frame's samples to `out` starting at `at`: BitsStored masking and sign extension,
 * MONOCHROME1 inversion (within the stored range, so the type does not change), luminance for
 * colour, and the optional rescale.
 */
export function storeFrame(
  s: Samples,
  fmt: PixelFormat,
  out: Writable,
  at: number,
  opts: StoreOptions = {},
): void {
  const n = fmt.rows * fmt.columns;
  const bits = fmt.bitsStored;
  const shift = fmt.highBit + 1 - bits;
  const invert = fmt.photometric === "MONOCHROME1";
  const slope = opts.rescale?.slope ?? 1;
  const intercept = opts.rescale?.intercept ?? 0;
  const identity = slope === 1 && intercept === 0;
  if (fmt.samplesPerPixel === 3) {
    for (let p = 0; p < n; p++) {
      const y = opts.ycbcr
        ? s[3 * p]!
        : Math.round(0.299 * s[3 * p]! + 0.587 * s[3 * p + 1]! + 0.114 * s[3 * p + 2]!);
      out[at + p] = identity ? y : y * slope + intercept;
    }
    return;
  }
  const full = shift === 0 && bits === fmt.bitsAllocated;
  // Fast path: the bit pattern already is the value in the output's own type.
  if (full && !invert && identity && sameRepresentation(s, out, fmt.signed)) {
    const view = new (out.constructor as new (b: ArrayBufferLike, o: number, l: number) => Writable)(
      s.buffer,
      s.byteOffset,
      n,
    );
    out.set(view, at);
    return;
  }
  const range = 2 ** bits;
  const half = range / 2;
  for (let p = 0; p < n; p++) {
    let v = s[p]!;
    if (!full) v = Math.floor(v / 2 ** shift) % range;
    if (v < 0) v += range; // two's-complement views from signed decoders
    if (fmt.signed && v >= half) v -= range;
    if (invert) v = fmt.signed ? -1 - v : range - 1 - v;
    out[at + p] = identity ? v : v * slope + intercept;
  }
}

function sameRepresentation(s: Samples, out: Writable, signed: boolean): boolean {
  const bytes = s.BYTES_PER_ELEMENT;
  if (out instanceof Float32Array || bytes !== out.BYTES_PER_ELEMENT) return false;
  const outSigned = out instanceof Int8Array || out instanceof Int16Array || out instanceof Int32Array;
  return outSigned === signed;
}
