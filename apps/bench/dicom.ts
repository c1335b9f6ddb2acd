// Speed of reading DICOM series: a synthetic CT series (default 512×512×300, int16, a water disc
// with a bone ring and noise) written to a temporary folder as one file per slice — uncompressed,
// RLE, JPEG-LS and JPEG 2000 lossless — then read with readDicom and listed with listDicomSeries.
// Usage: npm run bench:dicom [-- --json] [--size 512,512,300] [--repeat 3] [--kinds native,rle,jpeg-ls,j2k]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { listDicomSeries, readDicom } from "../../src/index.js";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    size: { type: "string", default: "512,512,300" },
    repeat: { type: "string", default: "3" },
    kinds: { type: "string", default: "native,rle,jpeg-ls,j2k" },
  },
});
const [nx, ny, nz] = values.size.split(",").map(Number) as [number, number, number];
const repeat = Number(values.repeat);
/** Compressed kinds encode this many distinct slices and reuse them (encoding is the slow part). */
const DISTINCT = 6;

type Kind = "native" | "rle" | "jpeg-ls" | "j2k";
const SYNTAX: Record<Kind, { uid: string; label: string }> = {
  native: { uid: "1.2.840.10008.1.2.1", label: "Explicit VR LE" },
  rle: { uid: "1.2.840.10008.1.2.5", label: "RLE Lossless" },
  "jpeg-ls": { uid: "1.2.840.10008.1.2.4.80", label: "JPEG-LS lossless" },
  j2k: { uid: "1.2.840.10008.1.2.4.90", label: "JPEG 2000 lossless" },
};
const kinds = values.kinds.split(",") as Kind[];
for (const k of kinds) if (!(k in SYNTAX)) throw new Error(`bench: unknown kind ${k}`);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One explicit-VR little-endian element (short or long length form by VR). */
function element(group: number, elem: number, vr: string, value: Uint8Array): Uint8Array {
  const long = ["OB", "OW", "SQ", "UN", "UT"].includes(vr);
  const head = new Uint8Array(long ? 12 : 8);
  const dv = new DataView(head.buffer);
  dv.setUint16(0, group, true);
  dv.setUint16(2, elem, true);
  head[4] = vr.charCodeAt(0);
  head[5] = vr.charCodeAt(1);
  if (long) dv.setUint32(8, value.length, true);
  else dv.setUint16(6, value.length, true);
  return concat([head, value]);
}

const text = (s: string, pad = " ") => new TextEncoder().encode(s.length % 2 ? s + pad : s);
const us = (v: number) => new Uint8Array(new Uint16Array([v]).buffer);

/** A CT-like slice: water disc (stored 1024 = 0 HU) in air, bone ring, stripes and noise. */
function slice(k: number): Int16Array {
  const px = new Int16Array(nx * ny);
  let seed = 12345 + k;
  for (let y = 0; y < ny; y++)
    for (let x = 0; x < nx; x++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const r = Math.hypot(x - nx / 2, y - ny / 2) / (nx / 2);
      const base = r > 0.9 ? 0 : r > 0.8 ? 2000 : 1024 + ((x + k) % 64 < 4 ? 60 : 0);
      px[y * nx + x] = base + (seed % 41) - 20;
    }
  return px;
}

/** RLE Lossless frame of int16 pixels using literal runs only (valid, not compressing). */
function rleFrame(pixels: Int16Array): Uint8Array {
  const bytes = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  const segment = (hi: boolean) => {
    const plane = new Uint8Array(pixels.length);
    for (let p = 0; p < pixels.length; p++) plane[p] = bytes[2 * p + (hi ? 1 : 0)]!;
    const parts: Uint8Array[] = [];
    for (let i = 0; i < plane.length; i += 128) {
      const run = plane.subarray(i, Math.min(plane.length, i + 128));
      parts.push(new Uint8Array([run.length - 1]), run);
    }
    const seg = concat(parts);
    return seg.length % 2 ? concat([seg, new Uint8Array(1)]) : seg;
  };
  const hi = segment(true);
  const lo = segment(false);
  const header = new Uint8Array(64);
  const dv = new DataView(header.buffer);
  dv.setUint32(0, 2, true);
  dv.setUint32(4, 64, true);
  dv.setUint32(8, 64 + hi.length, true);
  return concat([header, hi, lo]);
}

interface WasmEncoder {
  getDecodedBuffer(info: object): Uint8Array;
  encode(): void;
  getEncodedBuffer(): Uint8Array;
}

/** Encodes with the codec packages' own encoders (the same WASM builds the reader decodes with). */
async function encoder(kind: "jpeg-ls" | "j2k"): Promise<(px: Int16Array) => Uint8Array> {
  const require = createRequire(import.meta.url);
  const pkg = kind === "jpeg-ls" ? "@cornerstonejs/codec-charls" : "@cornerstonejs/codec-openjpeg";
  const factory = require(`${pkg}/wasmjs`) as (o: object) => Promise<Record<string, new () => WasmEncoder>>;
  const mod = await factory({ locateFile: () => require.resolve(`${pkg}/wasm`), print() {}, printErr() {} });
  const enc = new mod[kind === "jpeg-ls" ? "JpegLSEncoder" : "J2KEncoder"]!();
  const info = {
    width: nx,
    height: ny,
    bitsPerSample: 16,
    componentCount: 1,
    isSigned: true,
    isUsingColorTransform: false,
  };
  return (px) => {
    enc.getDecodedBuffer(info).set(new Uint8Array(px.buffer, px.byteOffset, px.byteLength));
    enc.encode();
    return enc.getEncodedBuffer().slice();
  };
}

/** Encapsulated Pixel Data: empty offset table, one fragment (padded to even length), delimiter. */
function encapsulated(frame: Uint8Array): Uint8Array {
  const even = frame.length % 2 ? concat([frame, new Uint8Array(1)]) : frame;
  const tag = (group: number, elem: number, length: number) => {
    const h = new Uint8Array(8);
    const dv = new DataView(h.buffer);
    dv.setUint16(0, group, true);
    dv.setUint16(2, elem, true);
    dv.setUint32(4, length, true);
    return h;
  };
  const head = new Uint8Array(12);
  const dv = new DataView(head.buffer);
  dv.setUint16(0, 0x7fe0, true);
  dv.setUint16(2, 0x0010, true);
  head[4] = 0x4f; // "OB"
  head[5] = 0x42;
  dv.setUint32(8, 0xffffffff, true);
  return concat([
    head,
    tag(0xfffe, 0xe000, 0),
    tag(0xfffe, 0xe000, even.length),
    even,
    tag(0xfffe, 0xe0dd, 0),
  ]);
}

/** Writes the series (files in reverse position order, so the reader has to sort); returns its bytes. */
async function writeSeries(dir: string, kind: Kind): Promise<number> {
  const ts = SYNTAX[kind].uid;
  const compressed = kind === "jpeg-ls" || kind === "j2k";
  const encode = compressed ? await encoder(kind) : undefined;
  const frames = new Map<number, Uint8Array>();
  let bytes = 0;
  for (let k = 0; k < nz; k++) {
    const which = compressed ? k % DISTINCT : k;
    const pixels = slice(which);
    let pixelElement: Uint8Array;
    if (kind === "native") pixelElement = element(0x7fe0, 0x0010, "OW", new Uint8Array(pixels.buffer));
    else {
      let frame = frames.get(which);
      if (!frame) {
        frame = kind === "rle" ? rleFrame(pixels) : encode!(pixels);
        if (compressed) frames.set(which, frame);
      }
      pixelElement = encapsulated(frame);
    }
    const sop = `1.2.826.0.1.3680043.10.1234.9.${k + 1}`;
    const metaBytes = concat([
      element(0x0002, 0x0001, "OB", new Uint8Array([0, 1])),
      element(0x0002, 0x0002, "UI", text("1.2.840.10008.5.1.4.1.1.2", "\0")),
      element(0x0002, 0x0003, "UI", text(sop, "\0")),
      element(0x0002, 0x0010, "UI", text(ts, "\0")),
    ]);
    const groupLength = element(
      0x0002,
      0x0000,
      "UL",
      new Uint8Array(new Uint32Array([metaBytes.length]).buffer),
    );
    const body = [
      element(0x0008, 0x0016, "UI", text("1.2.840.10008.5.1.4.1.1.2", "\0")),
      element(0x0008, 0x0018, "UI", text(sop, "\0")),
      element(0x0008, 0x0060, "CS", text("CT")),
      element(0x0020, 0x000e, "UI", text("1.2.826.0.1.3680043.10.1234.9", "\0")),
      element(0x0020, 0x0013, "IS", text(String(k + 1))),
      element(0x0020, 0x0032, "DS", text(`-120\\-140\\${(k * 1.25).toFixed(2)}`)),
      element(0x0020, 0x0037, "DS", text("1\\0\\0\\0\\1\\0")),
      element(0x0028, 0x0002, "US", us(1)),
      element(0x0028, 0x0004, "CS", text("MONOCHROME2")),
      element(0x0028, 0x0010, "US", us(ny)),
      element(0x0028, 0x0011, "US", us(nx)),
      element(0x0028, 0x0030, "DS", text("0.5\\0.5")),
      element(0x0028, 0x0100, "US", us(16)),
      element(0x0028, 0x0101, "US", us(16)),
      element(0x0028, 0x0102, "US", us(15)),
      element(0x0028, 0x0103, "US", us(1)),
      element(0x0028, 0x1052, "DS", text("-1024")),
      element(0x0028, 0x1053, "DS", text("1")),
      pixelElement,
    ];
    const preamble = new Uint8Array(132);
    preamble.set(new TextEncoder().encode("DICM"), 128);
    const file = concat([preamble, groupLength, metaBytes, ...body]);
    bytes += file.length;
    writeFileSync(join(dir, `IM${String(nz - k).padStart(5, "0")}.dcm`), file);
  }
  return bytes;
}

interface Row {
  case: string;
  megabytes: number;
  ms: number;
  mVoxelsPerS: number;
  filesPerS: number;
}
const rows: Row[] = [];
const root = mkdtempSync(join(tmpdir(), "medadapt-bench-dicom-"));
// An interrupted run must not leave hundreds of MB behind.
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => {
    rmSync(root, { recursive: true, force: true });
    process.exit(130);
  });
try {
  for (const kind of kinds) {
    const dir = join(root, kind);
    mkdirSync(dir);
    const bytes = await writeSeries(dir, kind);
    const time = async (op: string, fn: () => Promise<unknown>) => {
      await fn(); // warm-up (JIT, file cache, WASM instantiation)
      let best = Number.POSITIVE_INFINITY;
      for (let r = 0; r < repeat; r++) {
        const t0 = performance.now();
        await fn();
        best = Math.min(best, performance.now() - t0);
      }
      rows.push({
        case: `${op}, ${SYNTAX[kind].label}`,
        megabytes: bytes / 1e6,
        ms: best,
        mVoxelsPerS: (nx * ny * nz) / best / 1000,
        filesPerS: nz / (best / 1000),
      });
    };
    await time("readDicom", async () => {
      const [v] = await readDicom(dir);
      if (!v || v.shape[2] !== nz) throw new Error("bench: wrong volume");
    });
    if (kind === "jpeg-ls" || kind === "j2k")
      await time("readDicom, calling thread only", async () => {
        const [v] = await readDicom(dir, { workers: 0 });
        if (!v || v.shape[2] !== nz) throw new Error("bench: wrong volume");
      });
    await time("listDicomSeries", () => listDicomSeries(dir));
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}

if (values.json) {
  console.log(JSON.stringify({ size: [nx, ny, nz], repeat, rows }, null, 2));
} else {
  console.log(`DICOM series ${nx}×${ny}×${nz} int16 (one file per slice), best of ${repeat}`);
  const head = `${"case".padEnd(52)} ${"MB".padStart(7)} ${"ms".padStart(9)} ${"Mvox/s".padStart(8)} ${"files/s".padStart(8)}`;
  console.log(head);
  for (const r of rows)
    console.log(
      `${r.case.padEnd(52)} ${r.megabytes.toFixed(1).padStart(7)} ${r.ms.toFixed(1).padStart(9)} ${r.mVoxelsPerS.toFixed(1).padStart(8)} ${r.filesPerS.toFixed(0).padStart(8)}`,
    );
}
