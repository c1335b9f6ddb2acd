/**
 * Compressed frame decoders, each from an established package: libjpeg-turbo (JPEG baseline and
 * 8-bit extended), jpeg-lossless-decoder-js (JPEG lossless), CharLS (JPEG-LS), OpenJPEG (JPEG
 * 2000). The WASM builds ship inside the packages and load lazily, once, from local files.
 */
import { createRequire } from "node:module";
import { Decoder as JpegLosslessDecoder } from "jpeg-lossless-decoder-js";

const require = createRequire(import.meta.url);

/** The part of the Emscripten codec classes medadapt uses (all three share it). */
interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
    isSigned: boolean;
  };
  delete(): void;
}
type WasmModule = Record<string, new () => WasmDecoder>;

const modules = new Map<string, Promise<WasmModule>>();

function loadWasm(pkg: string): Promise<WasmModule> {
  let m = modules.get(pkg);
  if (!m) {
    const factory = require(`${pkg}/decodewasmjs`) as (opts: object) => Promise<WasmModule>;
    const wasm = require.resolve(`${pkg}/decodewasm`);
    // The codecs log progress to stdout by default; a library must stay quiet.
    m = factory({ locateFile: () => wasm, print: () => {}, printErr: () => {} });
    modules.set(pkg, m);
  }
  return m;
}

/**
 * libjpeg decides colour conversion from the stream: a JFIF marker means YCbCr, an Adobe marker
 * states the transform, and otherwise component IDs 1, 2, 3 (what most encoders write) mean
 * YCbCr. DICOM's "RGB" for JPEG means the components are stored without a colour transform, so
 * when the stream carries neither marker an Adobe APP14 marker with transform 0 is inserted after
 * SOI: the decoder then returns the stored components untouched (exact, unlike converting back).
 * GDCM and pydicom decode such files the same way.
 */
export function withRgbHint(jpeg: Uint8Array): Uint8Array {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return jpeg;
  let i = 2;
  while (i + 4 <= jpeg.length && jpeg[i] === 0xff) {
    const marker = jpeg[i + 1]!;
    const length = (jpeg[i + 2]! << 8) | jpeg[i + 3]!;
    if (marker === 0xe0 || marker === 0xee) return jpeg; // JFIF or Adobe: the stream says it
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (jpeg[i + 9] !== 3) return jpeg;
      const adobe = [0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0, 0, 0, 0, 0];
      const out = new Uint8Array(jpeg.length + adobe.length);
      out.set(jpeg.subarray(0, 2));
      out.set(adobe, 2);
      out.set(jpeg.subarray(2), 2 + adobe.length);
      return out;
    }
    if (marker === 0xda) return jpeg;
    i += 2 + length;
  }
  return jpeg;
}

export interface DecodedFrame {
  /** Samples, interleaved when there are several components. */
  samples: Uint8Array | Uint16Array | Int16Array;
  width: number;
  height: number;
  components: number;
}

export type WasmCodec = "jpeg-baseline" | "jpeg-ls" | "jpeg-2000";

/** One compressed frame to decode; plain data, so it can be posted to a worker. */
export interface CodecJob {
  codec: WasmCodec | "jpeg-lossless";
  data: Uint8Array;
  bitsAllocated: number;
}

const WASM: Record<WasmCodec, { pkg: string; cls: string }> = {
  "jpeg-baseline": { pkg: "@cornerstonejs/codec-libjpeg-turbo-8bit", cls: "JPEGDecoder" },
  "jpeg-ls": { pkg: "@cornerstonejs/codec-charls", cls: "JpegLSDecoder" },
  "jpeg-2000": { pkg: "@cornerstonejs/codec-openjpeg", cls: "J2KDecoder" },
};

/** A ready decoder instance per codec, created on first use (module instantiation is async). */
export class CodecSet {
  #decoders = new Map<WasmCodec, WasmDecoder>();

  async prepare(codec: WasmCodec): Promise<void> {
    if (this.#decoders.has(codec)) return;
    const { pkg, cls } = WASM[codec];
    const mod = await loadWasm(pkg);
    const Ctor = mod[cls];
    if (!Ctor) throw new Error(`${pkg} has no ${cls}`);
    this.#decoders.set(codec, new Ctor());
  }

  decodeWasm(codec: WasmCodec, encoded: Uint8Array): DecodedFrame {
    const d = this.#decoders.get(codec);
    if (!d) throw new Error(`codec ${codec} not prepared`);
    d.getEncodedBuffer(encoded.length).set(encoded);
    d.decode();
    const info = d.getFrameInfo();
    const raw = d.getDecodedBuffer();
    // The decoded buffer is a view into WASM memory, reused by the next decode: copy it out.
    const bytes = raw.slice();
    const samples =
      info.bitsPerSample > 8
        ? info.isSigned
          ? new Int16Array(bytes.buffer, 0, bytes.length >> 1)
          : new Uint16Array(bytes.buffer, 0, bytes.length >> 1)
        : bytes;
    return { samples, width: info.width, height: info.height, components: info.componentCount };
  }

  decodeJpegLossless(encoded: Uint8Array, bitsAllocated: number): DecodedFrame {
    const dec = new JpegLosslessDecoder();
    // A private copy: the decoder reads from offset 0 of the ArrayBuffer (a Buffer's slice() is a view).
    const copy = new Uint8Array(encoded);
    const out = dec.decode(copy.buffer, 0, copy.length, bitsAllocated > 8 ? 2 : 1);
    const buf =
      out instanceof ArrayBuffer ? out : out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength);
    const samples = bitsAllocated > 8 ? new Uint16Array(buf) : new Uint8Array(buf);
    return { samples, width: dec.xDim, height: dec.yDim, components: dec.numComp };
  }

  /** Decodes a job (preparing its codec first if needed). */
  async decode(job: CodecJob): Promise<DecodedFrame> {
    if (job.codec === "jpeg-lossless") return this.decodeJpegLossless(job.data, job.bitsAllocated);
    await this.prepare(job.codec);
    return this.decodeWasm(job.codec, job.data);
  }

  dispose(): void {
    for (const d of this.#decoders.values()) d.delete();
    this.#decoders.clear();
  }
}
