import { constants as bufferConstants } from "node:buffer";
import type { FileHandle } from "node:fs/promises";
import { open } from "node:fs/promises";
import { endianness } from "node:os";
import { pipeline } from "node:stream/promises";
import { createGunzip, gunzipSync, constants as zlibConstants } from "node:zlib";
import { InputError } from "../../errors.js";
import { Volume, type VolumeMeta } from "../../volume/volume.js";
import { headerProblem } from "./checks.js";
import { datatypeByCode, type NiftiDatatype, swapInPlace, viewAs } from "./datatypes.js";
import { type NiftiHeader, sniffHeader, toHeader, unpackRecord } from "./header.js";
import { type AffineSource, bestAffine, validXformCode } from "./xform.js";

export interface ReadNiftiOptions {
  /**
   * Largest volume accepted, in voxels (all dimensions multiplied). Headers asking for more are
   * refused before anything is allocated. Default 2^30 (2 GiB of int16).
   */
  maxVoxels?: number;
}

export const DEFAULT_MAX_VOXELS = 2 ** 30;

/** What the reader learnt from the NIfTI header, kept in `Volume.meta.nifti`. */
export interface NiftiInfo {
  version: 1 | 2;
  littleEndian: boolean;
  affineSource: AffineSource;
  qformCode: number;
  sformCode: number;
  xyztUnits: number;
  intentCode: number;
  intentName: string;
}

const HOST_LITTLE_ENDIAN = endianness() === "LE";
const MAX_LENGTH = bufferConstants.MAX_LENGTH;
const GZIP_MAGIC = [0x1f, 0x8b];
// deflate cannot expand data by more than ~1032:1; a header asking for more than that from the
// compressed size is truncated or corrupt, which we can tell before allocating anything.
const MAX_DEFLATE_RATIO = 1032;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/** A validated header with everything needed to place and type the voxel data. */
export interface NiftiPlan {
  header: NiftiHeader;
  datatype: NiftiDatatype;
  shape: number[];
  voxOffset: number;
  /** Bytes of voxel data following voxOffset. */
  dataBytes: number;
  affine: number[];
  affineSource: AffineSource;
  slope: number;
  intercept: number;
}

/**
 * Decodes and checks a header from the first bytes of the (decompressed) file. Every problem is an
 * InputError naming `source`; nothing large is allocated here.
 */
export function planNifti(head: Uint8Array, source: string, opts: ReadNiftiOptions = {}): NiftiPlan {
  const bad = (problem: string) => new InputError(problem, source);
  if (head.length < 4) throw bad(`not a NIfTI file (only ${head.length} bytes)`);
  const sniffed = sniffHeader(head);
  if (!sniffed) {
    const v = new DataView(head.buffer, head.byteOffset, 4).getInt32(0, true);
    throw bad(`not a NIfTI file (sizeof_hdr is ${v}, expected 348 or 540)`);
  }
  const { layout } = sniffed;
  if (head.length < layout.sizeofHdr)
    throw bad(`truncated NIfTI-${layout.version} header (${head.length} of ${layout.sizeofHdr} bytes)`);
  const h = toHeader(unpackRecord(head, layout, sniffed.littleEndian), sniffed);
  const problem = headerProblem(h);
  if (problem) throw bad(problem);

  const ndim = h.dim[0]!;
  const shape = [1, 2, 3].map((i) => (i <= ndim ? h.dim[i]! : 1));
  if (ndim >= 4) shape.push(h.dim[4]!);
  const datatype = datatypeByCode(h.datatype)!;
  const maxVoxels = opts.maxVoxels ?? DEFAULT_MAX_VOXELS;
  const voxels = shape.reduce((a, b) => a * b, 1);
  if (voxels > maxVoxels)
    throw bad(`[${shape.join(", ")}] is ${voxels} voxels, more than the limit of ${maxVoxels} (maxVoxels)`);
  const dataBytes = voxels * datatype.elementsPerVoxel * datatype.elementBytes;
  if (dataBytes > MAX_LENGTH)
    throw bad(
      `${dataBytes} bytes of voxel data exceed the largest array this platform allows (${MAX_LENGTH})`,
    );
  const voxOffset = Math.floor(h.vox_offset) || layout.voxOffset;
  const scaled = h.scl_slope !== 0 && Number.isFinite(h.scl_slope);
  const slope = scaled ? h.scl_slope : 1;
  const intercept = scaled ? h.scl_inter : 0;

  const best = bestAffine(h);
  if ("error" in best) throw bad(best.error);
  if (!best.affine.every(Number.isFinite)) throw bad(`non-finite values in the ${best.source} affine`);

  return {
    header: h,
    datatype,
    shape,
    voxOffset,
    dataBytes,
    affine: best.affine,
    affineSource: best.source,
    slope,
    intercept,
  };
}

/** Builds the Volume from a plan and its voxel bytes (an exactly-sized, aligned buffer we own). */
function toVolume(plan: NiftiPlan, data: Uint8Array, source: string): Volume {
  const { header: h, datatype: dt } = plan;
  if (h.littleEndian !== HOST_LITTLE_ENDIAN) swapInPlace(data, dt.elementBytes);
  const elements = plan.dataBytes / dt.elementBytes;
  const meta: VolumeMeta = { source };
  if (h.descrip) meta.description = h.descrip;
  if (plan.shape.length === 4) meta.timeStep = h.pixdim[4];
  const nifti: NiftiInfo = {
    version: h.layout.version,
    littleEndian: h.littleEndian,
    affineSource: plan.affineSource,
    qformCode: validXformCode(h.qform_code),
    sformCode: validXformCode(h.sform_code),
    xyztUnits: h.xyzt_units,
    intentCode: h.intent_code,
    intentName: h.intent_name,
  };
  meta.nifti = nifti;
  return new Volume({
    data: viewAs(dt.dtype, data.buffer as ArrayBuffer, data.byteOffset, elements),
    dtype: dt.dtype,
    shape: plan.shape,
    affine: plan.affine,
    scaling: { slope: plan.slope, intercept: plan.intercept },
    meta,
  });
}

/** Decodes a whole .nii or .nii.gz held in memory. `source` names it in error messages. */
export function decodeNifti(bytes: Uint8Array, opts: ReadNiftiOptions & { source?: string } = {}): Volume {
  const source = opts.source ?? "<buffer>";
  let raw = bytes;
  if (isGzip(bytes)) {
    const probe = inflateHead(bytes, source);
    const plan = planNifti(probe, source, opts);
    try {
      raw = gunzipSync(bytes, { maxOutputLength: plan.voxOffset + plan.dataBytes + 2 ** 20 });
    } catch (err) {
      throw gzipError(err, source);
    }
  }
  const plan = planNifti(raw, source, opts);
  const end = checkExtent(plan, raw.length, source);
  // slice() copies into a fresh, aligned buffer that the Volume may own and swap in place.
  return toVolume(plan, raw.slice(plan.voxOffset, end), source);
}

/** The first bytes of a gzip stream, inflated without requiring the rest (for sniffing). */
export function inflateHead(gz: Uint8Array, source: string, limit = 1 << 16): Uint8Array {
  try {
    return gunzipSync(gz.subarray(0, limit), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  } catch (err) {
    throw gzipError(err, source);
  }
}

/** Checks that the data fits in `size` bytes; returns the end of the voxel data. */
function checkExtent(plan: NiftiPlan, size: number, source: string): number {
  if (plan.voxOffset >= size)
    throw new InputError(
      `vox_offset ${plan.voxOffset} is beyond the end of the file (${size} bytes)`,
      source,
    );
  const end = plan.voxOffset + plan.dataBytes;
  if (size < end) throw truncated(source, size, end);
  return end;
}

function truncated(source: string, have: number, need: number): InputError {
  return new InputError(`truncated: file ends after ${have} of ${need} bytes (header + voxel data)`, source);
}

function gzipError(err: unknown, source: string): InputError {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === "Z_BUF_ERROR" || /unexpected end/i.test(e?.message ?? ""))
    return new InputError("truncated gzip data", source);
  return new InputError(`corrupt gzip data (${e?.message ?? String(err)})`, source);
}

function fileError(err: unknown, source: string): InputError {
  if (err instanceof InputError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e?.code === "ENOENT") return new InputError("no such file", source);
  if (e?.code === "EISDIR") return new InputError("is a directory, not a NIfTI file", source);
  if (e?.code === "EACCES") return new InputError("permission denied", source);
  if (typeof e?.code === "string" && e.code.startsWith("Z_")) return gzipError(err, source);
  return new InputError(`cannot read (${e?.message ?? String(err)})`, source);
}

/**
 * Reads a .nii or .nii.gz file (compression is recognised by content, not by name).
 *
 * The voxel array is allocated once at its final size after the header has been checked; gzip is
 * inflated as a stream straight into it, so peak memory stays near the decoded volume's size.
 */
export async function readNifti(path: string, opts: ReadNiftiOptions = {}): Promise<Volume> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, "r");
    const size = (await fh.stat()).size;
    const first = new Uint8Array(Math.min(size, 1 << 16));
    await readFully(fh, first, 0);
    if (isGzip(first)) return await readGzip(fh, path, size, first, opts);
    const plan = planNifti(first, path, opts);
    checkExtent(plan, size, path);
    const data = new Uint8Array(plan.dataBytes);
    await readFully(fh, data, plan.voxOffset);
    return toVolume(plan, data, path);
  } catch (err) {
    throw fileError(err, path);
  } finally {
    await fh?.close();
  }
}

async function readFully(fh: FileHandle, into: Uint8Array, position: number): Promise<void> {
  const CHUNK = 1 << 30;
  let done = 0;
  while (done < into.length) {
    const n = Math.min(CHUNK, into.length - done);
    const { bytesRead } = await fh.read(into, done, n, position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
}

async function readGzip(
  fh: FileHandle,
  path: string,
  size: number,
  first: Uint8Array,
  opts: ReadNiftiOptions,
): Promise<Volume> {
  const head = inflateHead(first, path);
  const plan = planNifti(head, path, opts);
  const total = plan.voxOffset + plan.dataBytes;
  if (total > size * MAX_DEFLATE_RATIO + 4096)
    throw new InputError(
      `truncated or corrupt: header asks for ${total} bytes but ${size} compressed bytes cannot hold them`,
      path,
    );
  const data = new Uint8Array(plan.dataBytes);
  let pos = 0; // position in the decompressed stream
  const source = fh.createReadStream({ start: 0, highWaterMark: 1 << 20, autoClose: false });
  await pipeline(source, createGunzip({ chunkSize: 1 << 20 }), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) {
      const from = Math.max(plan.voxOffset - pos, 0);
      const to = Math.min(chunk.length, total - pos);
      if (to > from) data.set(chunk.subarray(from, to), pos + from - plan.voxOffset);
      pos += chunk.length;
    }
  });
  if (pos < total) checkExtent(plan, pos, path);
  return toVolume(plan, data, path);
}
