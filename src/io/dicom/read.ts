/**
 * The DICOM reader's entry points: `readDicom` (file, folder or folder tree → one Volume per
 * series or sub-series) and `listDicomSeries` (headers only).
 */
import { type FileHandle, open, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { InputError } from "../../errors.js";
import { type DType, Volume, type VolumeMeta } from "../../volume/volume.js";
import { CodecSet } from "./codecs.js";
import { DecodePool } from "./decode-pool.js";
import { resampleAlongK, uniformGrid } from "./geometry.js";
import { type DicomHeader, NotAnImage, readHeader } from "./header.js";
import {
  checkDecoded,
  decodesToRgb,
  type FramePart,
  FrameSource,
  formatProblem,
  storeFrame,
  type Writable,
} from "./pixels.js";
import { buildStacks, type Stack } from "./series.js";
import { sniffDicom } from "./sniff.js";

export interface ReadDicomOptions {
  /** SeriesInstanceUID to read; the others are skipped after their headers. */
  series?: string;
  /** Refuse anything larger (per file and per volume) before allocating. Default 2^30. */
  maxVoxels?: number;
  /** Resample unevenly spaced stacks onto a uniform grid (linear along k, float32 output). */
  resampleNonUniform?: boolean;
  /**
   * Worker threads for compressed frames (JPEG, JPEG-LS, JPEG 2000). Default: one per core (at
   * most 8) when a volume has 16 or more compressed frames; 0 decodes on the calling thread.
   */
  workers?: number;
  /** Called as files are scanned and decoded; `total` is twice the number of files (scan + decode). */
  onProgress?: (done: number, total: number) => void;
}

export interface SeriesSummary {
  uid: string;
  description: string | undefined;
  modality: string | undefined;
  seriesNumber: number | undefined;
  files: number;
  slices: number;
  /** Volumes the series reads as (more than one when it mixes orientations, sizes, …). */
  volumes: number;
  /** [columns, rows, slices(, time points)] of its largest volume. */
  size: number[];
  transferSyntaxes: string[];
}

const DEFAULT_MAX_VOXELS = 2 ** 30;

interface Scan {
  headers: DicomHeader[];
  files: number;
  skipped: { notDicom: number; noPixels: number; unreadable: number };
  /** Messages (file: problem) of DICOM files whose header could not be read. */
  unreadable: string[];
}

async function collectFiles(path: string): Promise<{ files: string[]; single: boolean }> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch {
    throw new InputError("no such file or folder", path);
  }
  if (st.isFile()) return { files: [path], single: true };
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) files.push(p);
    }
  };
  await walk(path);
  return { files, single: false };
}

/**
 * Yields the files' contents in order while keeping `depth` reads in flight, so decoding one file
 * overlaps reading the next ones (file reads run on libuv's thread pool).
 */
async function* readAhead<T, R>(
  items: readonly T[],
  read: (item: T) => Promise<R>,
  depth = 4,
): AsyncGenerator<[T, R]> {
  const pending: Promise<R>[] = [];
  let next = 0;
  const fill = () => {
    while (next < items.length && pending.length < depth) {
      const p = read(items[next++]!);
      // Rejections surface when awaited in order; until then they must not count as unhandled
      // (the consumer may stop early and never await them).
      p.catch(() => {});
      pending.push(p);
    }
  };
  for (let i = 0; i < items.length; i++) {
    fill();
    const result = await pending.shift()!;
    yield [items[i]!, result];
  }
}

/** Node cannot hold a file this large in one Buffer. */
const MAX_FILE_BYTES = 2 ** 31 - 1;

/**
 * The bytes of `path` if its first bytes look like DICOM, else undefined: folders may hold large
 * files of other kinds, which are recognised from a few KB and never read whole.
 */
async function readIfDicom(path: string): Promise<Buffer | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch (e) {
    throw new InputError(`cannot open (${(e as NodeJS.ErrnoException).code ?? String(e)})`, path);
  }
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(size, 4096));
    await fh.read(head, 0, head.length, 0);
    if (!sniffDicom(head)) return undefined;
    if (size > MAX_FILE_BYTES) throw new InputError(`DICOM file of ${size} bytes is too large to read`, path);
    if (size === head.length) return head;
    const bytes = Buffer.allocUnsafe(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await fh.read(bytes, at, size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return at === size ? bytes : bytes.subarray(0, at);
  } finally {
    await fh.close();
  }
}

async function readWhole(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new InputError(`cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, path);
  }
}

async function scan(
  path: string,
  opts: ReadDicomOptions,
  progressTotal: (n: number) => number,
): Promise<Scan> {
  const { files, single } = await collectFiles(path);
  const maxVoxels = opts.maxVoxels ?? DEFAULT_MAX_VOXELS;
  const headers: DicomHeader[] = [];
  const skipped = { notDicom: 0, noPixels: 0, unreadable: 0 };
  const unreadable: string[] = [];
  const total = progressTotal(files.length);
  let done = 0;
  for await (const [file, bytes] of readAhead(files, readIfDicom)) {
    try {
      if (!bytes) throw new NotAnImage("not a DICOM file");
      headers.push(readHeader(file, bytes, maxVoxels));
    } catch (e) {
      if (single) throw e instanceof NotAnImage ? new InputError(e.message, file) : e;
      if (e instanceof NotAnImage) {
        if (e.message.includes("without pixel data")) skipped.noPixels++;
        else skipped.notDicom++;
      } else if (e instanceof InputError) {
        // In a folder, a file whose header cannot be read cannot be placed in any series: it
        // is skipped and named in every volume's warnings rather than failing all of them.
        skipped.unreadable++;
        unreadable.push(e.message);
      } else throw e;
    }
    opts.onProgress?.(++done, total);
  }
  if (headers.length === 0)
    throw new InputError(
      `no DICOM images found in ${files.length} file(s)${describeSkipped(skipped) ? ` (${describeSkipped(skipped)})` : ""}${unreadable.length ? `; first unreadable: ${unreadable[0]}` : ""}`,
      path,
    );
  return { headers, files: files.length, skipped, unreadable };
}

function describeSkipped(s: Scan["skipped"]): string {
  const parts: string[] = [];
  if (s.notDicom) parts.push(`${s.notDicom} not DICOM`);
  if (s.noPixels) parts.push(`${s.noPixels} DICOM without pixel data`);
  if (s.unreadable) parts.push(`${s.unreadable} unreadable`);
  return parts.join(", ");
}

function stackShape(st: Stack): number[] {
  const f = st.slices[0]!.header.format;
  return st.nt > 1 ? [f.columns, f.rows, st.nz, st.nt] : [f.columns, f.rows, st.nz];
}

/** Lists the series under `path` (file, folder or tree) from headers only. */
export async function listDicomSeries(path: string): Promise<SeriesSummary[]> {
  const { headers } = await scan(path, {}, (n) => n);
  const stacks = buildStacks(headers);
  const out = new Map<string, SeriesSummary>();
  for (const st of stacks) {
    const h = st.slices[0]!.header;
    const files = new Set(st.slices.map((s) => s.header.path));
    const shape = stackShape(st);
    const prev = out.get(st.seriesInstanceUID);
    if (prev) {
      prev.volumes++;
      prev.slices += st.slices.length;
      prev.files += files.size;
      continue;
    }
    const all = headers.filter((x) => x.seriesInstanceUID === st.seriesInstanceUID);
    out.set(st.seriesInstanceUID, {
      uid: st.seriesInstanceUID,
      description: h.seriesDescription,
      modality: h.modality,
      seriesNumber: h.seriesNumber,
      files: files.size,
      slices: st.slices.length,
      volumes: 1,
      size: shape,
      transferSyntaxes: [...new Set(all.map((x) => x.syntax.uid))],
    });
  }
  return [...out.values()];
}

/** Reads every series under `path` (or the one named by `opts.series`) into volumes. */
export async function readDicom(path: string, opts: ReadDicomOptions = {}): Promise<Volume[]> {
  let total = 0;
  const scanned = await scan(path, opts, (n) => {
    total = 2 * n;
    return total;
  });
  let stacks = buildStacks(scanned.headers);
  if (opts.series !== undefined) {
    const wanted = stacks.filter((s) => s.seriesInstanceUID === opts.series);
    if (wanted.length === 0) {
      const available = [...new Set(stacks.map((s) => s.seriesInstanceUID))].map((uid) => {
        const h = scanned.headers.find((x) => x.seriesInstanceUID === uid)!;
        return h.seriesDescription ? `${uid} (${h.seriesDescription})` : uid;
      });
      throw new InputError(`no series ${opts.series}; available: ${available.join(", ")}`, path);
    }
    stacks = wanted;
  }
  const codecs = new CodecSet();
  const progress = { done: total / 2, total, files: new Set<string>() };
  try {
    const volumes: Volume[] = [];
    for (const st of stacks) volumes.push(await decodeStack(st, opts, codecs, progress, path, scanned));
    opts.onProgress?.(total, total);
    return volumes;
  } finally {
    codecs.dispose();
  }
}

function outputType(bitsAllocated: number, signed: boolean): { dtype: DType; make: (n: number) => Writable } {
  if (bitsAllocated === 8)
    return signed
      ? { dtype: "int8", make: (n) => new Int8Array(n) }
      : { dtype: "uint8", make: (n) => new Uint8Array(n) };
  if (bitsAllocated === 16)
    return signed
      ? { dtype: "int16", make: (n) => new Int16Array(n) }
      : { dtype: "uint16", make: (n) => new Uint16Array(n) };
  return signed
    ? { dtype: "int32", make: (n) => new Int32Array(n) }
    : { dtype: "uint32", make: (n) => new Uint32Array(n) };
}

async function decodeStack(
  st: Stack,
  opts: ReadDicomOptions,
  codecs: CodecSet,
  progress: { done: number; total: number; files: Set<string> },
  source: string,
  scanned: Scan,
): Promise<Volume> {
  const { skipped, unreadable } = scanned;
  const warnings = [...st.warnings];
  if (unreadable.length)
    warnings.push(
      `${unreadable.length} DICOM file(s) skipped, header unreadable: ${unreadable.slice(0, 3).join("; ")}${unreadable.length > 3 ? "; …" : ""}`,
    );
  const notes = [...st.notes];
  const headers = [...new Set(st.slices.map((s) => s.header))];
  for (const h of headers) {
    if (h.defect) throw new InputError(h.defect, h.path);
    const problem = formatProblem(h);
    if (problem) throw new InputError(problem, h.path);
  }
  const first = st.slices[0]!;
  const fmt = first.header.format;
  const shape = stackShape(st);
  const plane = fmt.rows * fmt.columns;
  const voxels = plane * st.slices.length;
  const maxVoxels = opts.maxVoxels ?? DEFAULT_MAX_VOXELS;
  if (voxels > maxVoxels)
    throw new InputError(
      `series ${st.seriesInstanceUID} is ${shape.join("×")} = ${voxels} voxels, over the limit of ${maxVoxels} (maxVoxels)`,
      source,
    );

  const shared = st.slices.every(
    (s) => s.info.slope === first.info.slope && s.info.intercept === first.info.intercept,
  );
  const resample = !st.uniform && opts.resampleNonUniform === true;
  const colour = fmt.samplesPerPixel === 3;
  const toFloat = !colour && (!shared || resample);
  let dtype: DType;
  let data: Writable;
  if (toFloat) {
    dtype = "float32";
    data = new Float32Array(voxels);
    if (!shared) notes.push("rescale slope/intercept differ between slices: stored as float32 real values");
  } else {
    // Luminance of unsigned samples stays within their type.
    const t = outputType(fmt.bitsAllocated, colour ? false : fmt.signed);
    dtype = t.dtype;
    data = t.make(voxels);
  }
  if (colour)
    warnings.push(
      `colour (${fmt.photometric}) converted to luminance (0.299 R + 0.587 G + 0.114 B, or Y of YCbCr)`,
    );
  if (fmt.photometric === "MONOCHROME1")
    if (st.slices.some((s) => s.info.rescaled))
      // Inverting stored values changes what a rescale means: say so rather than hide it.
      warnings.push(
        "MONOCHROME1 inverted to MONOCHROME2 within the stored range: the rescale (e.g. HU) no longer gives the scanner's real values",
      );
    else notes.push("MONOCHROME1 inverted to MONOCHROME2 within the stored range (higher value = brighter)");

  // Decode file by file so each file is read once, whatever the slice order.
  const byFile = new Map<DicomHeader, { frame: number; index: number }[]>();
  st.slices.forEach((s, index) => {
    const list = byFile.get(s.header) ?? [];
    list.push({ frame: s.frame, index });
    byFile.set(s.header, list);
  });
  const toRead = [...byFile.keys()].filter((h) => !h.bytes);
  const inMemory = [...byFile.keys()].filter((h) => h.bytes);
  const sources = async function* (): AsyncGenerator<[DicomHeader, Uint8Array]> {
    for (const h of inMemory) yield [h, h.bytes!];
    yield* readAhead(toRead, (h) => readWhole(h.path));
  };
  const fail = (h: DicomHeader, frame: number, e: unknown) => {
    if (e instanceof InputError) return e;
    const raw = e instanceof Error ? e.message : String(e);
    // WASM codecs throw bare numbers (exception pointers): say what that means instead.
    const why = /^\d+$/.test(raw) ? "the codec rejected the data (corrupt or truncated codestream)" : raw;
    return new InputError(`cannot decode frame ${frame + 1} (${h.syntax.name}): ${why}`, h.path);
  };
  const store = (h: DicomHeader, frame: number, index: number, samples: Parameters<typeof storeFrame>[0]) => {
    const info = h.frames[frame]!;
    storeFrame(samples, h.format, data, index * plane, {
      rescale: toFloat ? { slope: info.slope, intercept: info.intercept } : undefined,
      ycbcr: h.format.photometric.startsWith("YBR") && !decodesToRgb(h),
    });
  };

  // Compressed frames go to worker threads when there are enough of them to pay for starting.
  const coded = st.slices.filter(
    (s) => s.header.syntax.encoding !== "native" && s.header.syntax.encoding !== "rle",
  );
  const poolSize = opts.workers ?? (coded.length >= 16 ? DecodePool.defaultSize() : 0);
  const pool = poolSize > 0 && coded.length > 0 ? DecodePool.shared(poolSize) : undefined;
  const inflight = new Set<Promise<void>>();
  let failure: InputError | undefined;
  for await (const [h, bytes] of sources()) {
    const src = new FrameSource(h, bytes);
    for (const { frame, index } of byFile.get(h)!) {
      if (failure) throw failure;
      let part: FramePart;
      try {
        part = src.frame(frame);
        if ("samples" in part) store(h, frame, index, part.samples);
        else if (!pool) store(h, frame, index, checkDecoded(h, frame, await codecs.decode(part.job)));
      } catch (e) {
        throw fail(h, frame, e);
      }
      if (!pool || "samples" in part) continue;
      const job = part.job;
      const task: Promise<void> = pool
        .decode(job)
        .then((d) => store(h, frame, index, checkDecoded(h, frame, d)))
        .catch((e: unknown) => {
          // Recorded, not thrown: nobody awaits this promise until the queue is full.
          failure ??= fail(h, frame, e);
        })
        .finally(() => inflight.delete(task));
      inflight.add(task);
      if (inflight.size >= pool.size * 3) await Promise.race(inflight);
    }
    if (!progress.files.has(h.path)) {
      progress.files.add(h.path);
      opts.onProgress?.(++progress.done, progress.total);
    }
  }
  await Promise.all(inflight);
  if (failure) throw failure;

  let affine = st.affine;
  let finalShape = shape;
  let out: Writable = data;
  if (resample) {
    const grid = uniformGrid(st.distances);
    const real = data as Float32Array;
    const planes = st.nt;
    if (plane * grid.length * planes > maxVoxels)
      throw new InputError(
        `resampling series ${st.seriesInstanceUID} to ${grid.length} uniform slices would exceed maxVoxels (${maxVoxels})`,
        source,
      );
    const resampled = new Float32Array(plane * grid.length * planes);
    for (let t = 0; t < planes; t++) {
      const src = real.subarray(t * plane * st.nz, (t + 1) * plane * st.nz);
      resampled.set(resampleAlongK(src, plane, st.distances, grid), t * plane * grid.length);
    }
    out = resampled;
    finalShape = st.nt > 1 ? [shape[0]!, shape[1]!, grid.length, st.nt] : [shape[0]!, shape[1]!, grid.length];
    affine = resampledAffine(st, grid);
    notes.push(
      `resampled from ${st.nz} unevenly spaced slices to ${grid.length} at ${(grid[1]! - grid[0]!).toFixed(4)} mm (linear along k)`,
    );
  }

  const h0 = first.header;
  const rescaled = st.slices.some((s) => s.info.rescaled);
  const meta: VolumeMeta = {
    source,
    modality: h0.modality,
    seriesDescription: h0.seriesDescription,
    seriesInstanceUID: st.seriesInstanceUID,
    transferSyntax: h0.syntax.uid,
    files: byFile.size,
    notes,
    warnings,
  };
  const units = h0.rescaleType ?? (h0.modality === "CT" && rescaled ? "HU" : undefined);
  if (units && !colour) meta.units = units;
  if (!st.uniform) meta.sliceGaps = st.gaps;
  if (skipped.notDicom || skipped.noPixels || skipped.unreadable) meta.skippedFiles = { ...skipped };
  const scaling =
    toFloat || colour
      ? { slope: 1, intercept: 0 }
      : { slope: first.info.slope, intercept: first.info.intercept };
  return new Volume({ data: out, dtype, shape: finalShape, affine, scaling, meta });
}

/** The stack's affine with the k column rescaled to the uniform grid's step (same first slice). */
function resampledAffine(st: Stack, grid: readonly number[]): number[] {
  const a = [...st.affine];
  const oldStep = (st.distances[st.nz - 1]! - st.distances[0]!) / (st.nz - 1);
  const newStep = grid[1]! - grid[0]!;
  for (const r of [0, 1, 2]) a[r * 4 + 2] = (a[r * 4 + 2]! * newStep) / oldStep;
  return a;
}
