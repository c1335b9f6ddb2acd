import { createWriteStream } from "node:fs";
import { endianness } from "node:os";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip, gzipSync } from "node:zlib";
import { InputError } from "../../errors.js";
import type { Volume } from "../../volume/volume.js";
import { withAtomicPath } from "../atomic.js";
import { datatypeByDtype } from "./datatypes.js";
import { type HeaderRecord, NIFTI1, NIFTI2, type NiftiLayout, packRecord } from "./header.js";
import type { NiftiInfo } from "./read.js";
import { qformFields, qformHolds, validXformCode, XFORM_CODES } from "./xform.js";

export interface WriteNiftiOptions {
  /** NIfTI-1 (default) or NIfTI-2 (needed for dimensions above 32767). */
  version?: 1 | 2;
  /**
   * xform codes. Default: the codes the volume was read with when it came from NIfTI and they
   * were set, else nibabel's `Nifti1Image` default — sform_code 2 (aligned) and qform_code 0. The
   * quaternion fields are always filled from the same affine (shears stripped, as nibabel's
   * `set_qform` does); a sheared affine always gets qform_code 0.
   */
  sformCode?: number;
  qformCode?: number;
  /** gzip level for .gz output (default 1, nibabel's default: fast, ~10% larger than level 6). */
  compressionLevel?: number;
}

const HOST_LITTLE_ENDIAN = endianness() === "LE";
const NIFTI1_MAX_DIM = 32767;
const UNITS_MM = 2;
const UNITS_SEC = 8;

/** Header bytes up to the voxel data: the record, the 4-byte "no extensions" flag, padding. */
export function niftiHeaderBytes(volume: Volume, opts: WriteNiftiOptions = {}): Uint8Array {
  const layout: NiftiLayout = opts.version === 2 ? NIFTI2 : NIFTI1;
  const dt = datatypeByDtype(volume.dtype);
  const shape = volume.shape;
  if (layout.version === 1) {
    const big = shape.find((d) => d > NIFTI1_MAX_DIM);
    if (big !== undefined)
      throw new InputError(
        `dimension ${big} exceeds NIfTI-1's limit of ${NIFTI1_MAX_DIM}; write NIfTI-2 (version 2)`,
      );
  }
  const from = volume.meta.nifti as Partial<NiftiInfo> | undefined;
  const q = qformFields(volume.affine);
  const a = volume.affine;
  const sformCode = validXformCode(opts.sformCode ?? (from?.sformCode || XFORM_CODES.aligned));
  // A qform cannot hold shears; rather than label an approximation as valid, its code stays 0.
  const qformDefault = from?.qformCode && qformHolds(q, a) ? from.qformCode : XFORM_CODES.unknown;
  const qformCode = validXformCode(opts.qformCode ?? qformDefault);
  const timeStep = typeof volume.meta.timeStep === "number" ? volume.meta.timeStep : 1;
  const dim = [shape.length, ...shape];
  while (dim.length < 8) dim.push(1);
  const pixdim = [q.qfac, ...q.zooms, shape.length > 3 ? timeStep : 1, 1, 1, 1];
  const { slope, intercept } = volume.scaling;
  const rec: HeaderRecord = {
    sizeof_hdr: layout.sizeofHdr,
    magic: layout.magic,
    dim,
    pixdim,
    datatype: dt.code,
    bitpix: dt.bitpix,
    vox_offset: layout.voxOffset,
    scl_slope: slope,
    scl_inter: intercept,
    // Units as read (the time step is in them), else mm and, for 4D, seconds.
    xyzt_units: from?.xyztUnits || UNITS_MM | (shape.length > 3 ? UNITS_SEC : 0),
    qform_code: qformCode,
    sform_code: sformCode,
    quatern_b: q.quatern[0],
    quatern_c: q.quatern[1],
    quatern_d: q.quatern[2],
    qoffset_x: q.offset[0],
    qoffset_y: q.offset[1],
    qoffset_z: q.offset[2],
    srow_x: a.slice(0, 4),
    srow_y: a.slice(4, 8),
    srow_z: a.slice(8, 12),
    descrip: typeof volume.meta.description === "string" ? volume.meta.description : "",
    regular: "r",
  };
  if (from?.intentCode) rec.intent_code = from.intentCode;
  if (from?.intentName) rec.intent_name = from.intentName;
  const out = new Uint8Array(layout.voxOffset);
  out.set(packRecord(rec, layout, true));
  return out;
}

/** The voxel bytes in little-endian order; a view of the volume's own memory on LE hosts. */
function dataBytes(volume: Volume): Uint8Array {
  const d = volume.data;
  const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  if (HOST_LITTLE_ENDIAN) return bytes;
  const copy = bytes.slice();
  const width = datatypeByDtype(volume.dtype).elementBytes;
  const buf = Buffer.from(copy.buffer);
  if (width === 2) buf.swap16();
  else if (width === 4) buf.swap32();
  else if (width === 8) buf.swap64();
  return copy;
}

/** The whole file in memory (little-endian); gzip-compressed when `gzip` is set. */
export function encodeNifti(volume: Volume, opts: WriteNiftiOptions & { gzip?: boolean } = {}): Uint8Array {
  const head = niftiHeaderBytes(volume, opts);
  const data = dataBytes(volume);
  const out = new Uint8Array(head.length + data.length);
  out.set(head);
  out.set(data, head.length);
  return opts.gzip ? gzipSync(out, { level: opts.compressionLevel ?? 1 }) : out;
}

const WRITE_CHUNK = 1 << 22;

function* chunksOf(head: Uint8Array, data: Uint8Array): Generator<Uint8Array> {
  yield head;
  for (let i = 0; i < data.length; i += WRITE_CHUNK) yield data.subarray(i, i + WRITE_CHUNK);
}

/**
 * Writes `volume` as NIfTI, gzip-compressed when `path` ends in `.gz`. The file appears only when
 * complete (written under a temporary name, then renamed).
 */
export async function writeNifti(path: string, volume: Volume, opts: WriteNiftiOptions = {}): Promise<void> {
  const head = niftiHeaderBytes(volume, opts);
  const data = dataBytes(volume);
  const gz = path.toLowerCase().endsWith(".gz");
  await withAtomicPath(path, async (tmp) => {
    const source = Readable.from(chunksOf(head, data), { objectMode: false });
    if (gz)
      await pipeline(
        source,
        createGzip({ level: opts.compressionLevel ?? 1, chunkSize: 1 << 20 }),
        createWriteStream(tmp),
      );
    else await pipeline(source, createWriteStream(tmp));
  });
}
