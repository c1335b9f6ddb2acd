// Speed of reading DICOM series: a synthetic CT series (default 512×512×300, int16) written to a
// temporary folder as one file per slice, uncompressed and RLE, then read with readDicom and
// listed with listDicomSeries. Usage: npm run bench:dicom [-- --json] [--size 512,512,300] [--repeat 3]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { listDicomSeries, readDicom } from "../../src/index.js";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    size: { type: "string", default: "512,512,300" },
    repeat: { type: "string", default: "3" },
  },
});
const [nx, ny, nz] = values.size.split(",").map(Number) as [number, number, number];
const repeat = Number(values.repeat);

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

function text(s: string, pad = " "): Uint8Array {
  return new TextEncoder().encode(s.length % 2 ? s + pad : s);
}

function us(v: number): Uint8Array {
  return new Uint8Array(new Uint16Array([v]).buffer);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
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

function writeSeries(dir: string, rle: boolean): void {
  const ts = rle ? "1.2.840.10008.1.2.5" : "1.2.840.10008.1.2.1";
  const pixels = new Int16Array(nx * ny);
  for (let k = 0; k < nz; k++) {
    for (let p = 0; p < pixels.length; p++) pixels[p] = ((p * 7 + k * 131) % 3000) - 1000;
    const sop = `1.2.826.0.1.3680043.10.1234.9.${k + 1}`;
    const meta = [
      element(0x0002, 0x0001, "OB", new Uint8Array([0, 1])),
      element(0x0002, 0x0002, "UI", text("1.2.840.10008.5.1.4.1.1.2", "\0")),
      element(0x0002, 0x0003, "UI", text(sop, "\0")),
      element(0x0002, 0x0010, "UI", text(ts, "\0")),
    ];
    const metaBytes = concat(meta);
    const groupLength = element(
      0x0002,
      0x0000,
      "UL",
      new Uint8Array(new Uint32Array([metaBytes.length]).buffer),
    );
    let pixelElement: Uint8Array;
    if (rle) {
      const frame = rleFrame(pixels);
      const item = (data: Uint8Array) => {
        const h = new Uint8Array(8);
        const dv = new DataView(h.buffer);
        dv.setUint16(0, 0xfffe, true);
        dv.setUint16(2, 0xe000, true);
        dv.setUint32(4, data.length, true);
        return concat([h, data]);
      };
      const head = new Uint8Array(12);
      const dv = new DataView(head.buffer);
      dv.setUint16(0, 0x7fe0, true);
      dv.setUint16(2, 0x0010, true);
      head[4] = 0x4f; // "OB"
      head[5] = 0x42;
      dv.setUint32(8, 0xffffffff, true);
      const end = new Uint8Array(8);
      new DataView(end.buffer).setUint16(0, 0xfffe, true);
      new DataView(end.buffer).setUint16(2, 0xe0dd, true);
      pixelElement = concat([head, item(new Uint8Array(0)), item(frame), end]);
    } else {
      pixelElement = element(0x7fe0, 0x0010, "OW", new Uint8Array(pixels.buffer.slice(0)));
    }
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
    // Files in reverse order of position, so the reader has to sort.
    writeFileSync(
      join(dir, `IM${String(nz - k).padStart(5, "0")}.dcm`),
      concat([preamble, groupLength, metaBytes, ...body]),
    );
  }
}

interface Row {
  case: string;
  ms: number;
  mVoxelsPerS: number;
  filesPerS: number;
}
const rows: Row[] = [];
const root = mkdtempSync(join(tmpdir(), "medadapt-bench-dicom-"));
try {
  for (const rle of [false, true]) {
    const dir = join(root, rle ? "rle" : "native");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(dir);
    writeSeries(dir, rle);
    const label = rle ? "RLE Lossless" : "Explicit VR LE";
    const time = async (op: string, fn: () => Promise<unknown>) => {
      await fn(); // warm-up (JIT, file cache)
      let best = Number.POSITIVE_INFINITY;
      for (let r = 0; r < repeat; r++) {
        const t0 = performance.now();
        await fn();
        best = Math.min(best, performance.now() - t0);
      }
      rows.push({
        case: `${op}, ${label}`,
        ms: best,
        mVoxelsPerS: (nx * ny * nz) / best / 1000,
        filesPerS: nz / (best / 1000),
      });
    };
    await time("readDicom", async () => {
      const [v] = await readDicom(dir);
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
  console.log(`DICOM series ${nx}×${ny}×${nz} int16, best of ${repeat}`);
  console.log(`${"case".padEnd(34)} ${"ms".padStart(9)} ${"Mvox/s".padStart(9)} ${"files/s".padStart(9)}`);
  for (const r of rows)
    console.log(
      `${r.case.padEnd(34)} ${r.ms.toFixed(1).padStart(9)} ${r.mVoxelsPerS.toFixed(1).padStart(9)} ${r.filesPerS.toFixed(0).padStart(9)}`,
    );
}
