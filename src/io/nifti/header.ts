/**
 * NIfTI-1 and NIfTI-2 headers as declarative field tables (nibabel style).
 *
 * A layout is data: the ordered list of (name, type, count), from which offsets follow. NIfTI-2 is
 * NIfTI-1 "by difference": a different record (64-bit dims and floats, reordered fields), size,
 * magic and data offset; everything that interprets a header works on the shared `NiftiHeader`.
 */

type FieldType = "u8" | "i16" | "i32" | "i64" | "f32" | "f64" | "char";

interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  /** Element count (bytes for "char"). */
  readonly count: number;
}

const SIZES: Record<FieldType, number> = { u8: 1, i16: 2, i32: 4, i64: 8, f32: 4, f64: 8, char: 1 };

// nifti1.h, struct nifti_1_header (348 bytes); offsets in comments.
const NIFTI1_FIELDS: readonly FieldSpec[] = [
  { name: "sizeof_hdr", type: "i32", count: 1 }, // 0
  { name: "data_type", type: "char", count: 10 }, // 4
  { name: "db_name", type: "char", count: 18 }, // 14
  { name: "extents", type: "i32", count: 1 }, // 32
  { name: "session_error", type: "i16", count: 1 }, // 36
  { name: "regular", type: "char", count: 1 }, // 38
  { name: "dim_info", type: "u8", count: 1 }, // 39
  { name: "dim", type: "i16", count: 8 }, // 40
  { name: "intent_p1", type: "f32", count: 1 }, // 56
  { name: "intent_p2", type: "f32", count: 1 }, // 60
  { name: "intent_p3", type: "f32", count: 1 }, // 64
  { name: "intent_code", type: "i16", count: 1 }, // 68
  { name: "datatype", type: "i16", count: 1 }, // 70
  { name: "bitpix", type: "i16", count: 1 }, // 72
  { name: "slice_start", type: "i16", count: 1 }, // 74
  { name: "pixdim", type: "f32", count: 8 }, // 76
  { name: "vox_offset", type: "f32", count: 1 }, // 108
  { name: "scl_slope", type: "f32", count: 1 }, // 112
  { name: "scl_inter", type: "f32", count: 1 }, // 116
  { name: "slice_end", type: "i16", count: 1 }, // 120
  { name: "slice_code", type: "u8", count: 1 }, // 122
  { name: "xyzt_units", type: "u8", count: 1 }, // 123
  { name: "cal_max", type: "f32", count: 1 }, // 124
  { name: "cal_min", type: "f32", count: 1 }, // 128
  { name: "slice_duration", type: "f32", count: 1 }, // 132
  { name: "toffset", type: "f32", count: 1 }, // 136
  { name: "glmax", type: "i32", count: 1 }, // 140
  { name: "glmin", type: "i32", count: 1 }, // 144
  { name: "descrip", type: "char", count: 80 }, // 148
  { name: "aux_file", type: "char", count: 24 }, // 228
  { name: "qform_code", type: "i16", count: 1 }, // 252
  { name: "sform_code", type: "i16", count: 1 }, // 254
  { name: "quatern_b", type: "f32", count: 1 }, // 256
  { name: "quatern_c", type: "f32", count: 1 }, // 260
  { name: "quatern_d", type: "f32", count: 1 }, // 264
  { name: "qoffset_x", type: "f32", count: 1 }, // 268
  { name: "qoffset_y", type: "f32", count: 1 }, // 272
  { name: "qoffset_z", type: "f32", count: 1 }, // 276
  { name: "srow_x", type: "f32", count: 4 }, // 280
  { name: "srow_y", type: "f32", count: 4 }, // 296
  { name: "srow_z", type: "f32", count: 4 }, // 312
  { name: "intent_name", type: "char", count: 16 }, // 328
  { name: "magic", type: "char", count: 4 }, // 344, total 348
];

// nifti2.h, struct nifti_2_header (540 bytes).
const NIFTI2_FIELDS: readonly FieldSpec[] = [
  { name: "sizeof_hdr", type: "i32", count: 1 }, // 0
  { name: "magic", type: "char", count: 8 }, // 4
  { name: "datatype", type: "i16", count: 1 }, // 12
  { name: "bitpix", type: "i16", count: 1 }, // 14
  { name: "dim", type: "i64", count: 8 }, // 16
  { name: "intent_p1", type: "f64", count: 1 }, // 80
  { name: "intent_p2", type: "f64", count: 1 }, // 88
  { name: "intent_p3", type: "f64", count: 1 }, // 96
  { name: "pixdim", type: "f64", count: 8 }, // 104
  { name: "vox_offset", type: "i64", count: 1 }, // 168
  { name: "scl_slope", type: "f64", count: 1 }, // 176
  { name: "scl_inter", type: "f64", count: 1 }, // 184
  { name: "cal_max", type: "f64", count: 1 }, // 192
  { name: "cal_min", type: "f64", count: 1 }, // 200
  { name: "slice_duration", type: "f64", count: 1 }, // 208
  { name: "toffset", type: "f64", count: 1 }, // 216
  { name: "slice_start", type: "i64", count: 1 }, // 224
  { name: "slice_end", type: "i64", count: 1 }, // 232
  { name: "descrip", type: "char", count: 80 }, // 240
  { name: "aux_file", type: "char", count: 24 }, // 320
  { name: "qform_code", type: "i32", count: 1 }, // 344
  { name: "sform_code", type: "i32", count: 1 }, // 348
  { name: "quatern_b", type: "f64", count: 1 }, // 352
  { name: "quatern_c", type: "f64", count: 1 }, // 360
  { name: "quatern_d", type: "f64", count: 1 }, // 368
  { name: "qoffset_x", type: "f64", count: 1 }, // 376
  { name: "qoffset_y", type: "f64", count: 1 }, // 384
  { name: "qoffset_z", type: "f64", count: 1 }, // 392
  { name: "srow_x", type: "f64", count: 4 }, // 400
  { name: "srow_y", type: "f64", count: 4 }, // 432
  { name: "srow_z", type: "f64", count: 4 }, // 464
  { name: "slice_code", type: "i32", count: 1 }, // 496
  { name: "xyzt_units", type: "i32", count: 1 }, // 500
  { name: "intent_code", type: "i32", count: 1 }, // 504
  { name: "intent_name", type: "char", count: 16 }, // 508
  { name: "dim_info", type: "u8", count: 1 }, // 524
  { name: "unused_str", type: "char", count: 15 }, // 525, total 540
];

/** Everything that differs between NIfTI versions; the rest of the code reads only this. */
export interface NiftiLayout {
  readonly version: 1 | 2;
  readonly sizeofHdr: number;
  /** Magic of a single-file (.nii) image, padded to the field's width. */
  readonly magic: string;
  /** Magic of a header/image pair (.hdr/.img), which medadapt does not read. */
  readonly pairMagic: string;
  /** Data offset medadapt writes: header plus the 4-byte extension flag, rounded to 16. */
  readonly voxOffset: number;
  /** Float precision of the stored quaternion, for nibabel's w-recovery threshold. */
  readonly quaternionEps: number;
  readonly fields: readonly FieldSpec[];
  readonly offsets: ReadonlyMap<string, number>;
}

function offsetsOf(fields: readonly FieldSpec[]): Map<string, number> {
  const out = new Map<string, number>();
  let at = 0;
  for (const f of fields) {
    out.set(f.name, at);
    at += SIZES[f.type] * f.count;
  }
  out.set("", at); // total size, for the consistency check below
  return out;
}

export const NIFTI1: NiftiLayout = {
  version: 1,
  sizeofHdr: 348,
  magic: "n+1\0",
  pairMagic: "ni1\0",
  voxOffset: 352,
  quaternionEps: 2 ** -23,
  fields: NIFTI1_FIELDS,
  offsets: offsetsOf(NIFTI1_FIELDS),
};

export const NIFTI2: NiftiLayout = {
  ...NIFTI1,
  version: 2,
  sizeofHdr: 540,
  magic: "n+2\0\r\n\x1a\n",
  pairMagic: "ni2\0\r\n\x1a\n",
  voxOffset: 544,
  quaternionEps: 2 ** -52,
  fields: NIFTI2_FIELDS,
  offsets: offsetsOf(NIFTI2_FIELDS),
};

for (const l of [NIFTI1, NIFTI2])
  if (l.offsets.get("") !== l.sizeofHdr) throw new Error(`NIfTI-${l.version} field table is inconsistent`);

/** Header values by field name: numbers, number arrays (dim, pixdim, srow_*) or strings. */
export type HeaderValue = number | number[] | string;
export type HeaderRecord = Record<string, HeaderValue>;

/** The fields both versions share, typed, as `interpretHeader` and the writer use them. */
export interface NiftiHeader {
  layout: NiftiLayout;
  littleEndian: boolean;
  dim: number[];
  pixdim: number[];
  datatype: number;
  bitpix: number;
  vox_offset: number;
  scl_slope: number;
  scl_inter: number;
  qform_code: number;
  sform_code: number;
  quatern_b: number;
  quatern_c: number;
  quatern_d: number;
  qoffset_x: number;
  qoffset_y: number;
  qoffset_z: number;
  srow_x: number[];
  srow_y: number[];
  srow_z: number[];
  xyzt_units: number;
  intent_code: number;
  intent_name: string;
  descrip: string;
  magic: string;
  /** Every field of the record, including version-specific ones. */
  raw: HeaderRecord;
}

function readValue(view: DataView, at: number, type: FieldType, le: boolean): number {
  switch (type) {
    case "u8":
      return view.getUint8(at);
    case "i16":
      return view.getInt16(at, le);
    case "i32":
      return view.getInt32(at, le);
    case "i64":
      // Values beyond 2^53 can only be corrupt here; they are caught by the dimension checks.
      return Number(view.getBigInt64(at, le));
    case "f32":
      return view.getFloat32(at, le);
    case "f64":
      return view.getFloat64(at, le);
    case "char":
      return view.getUint8(at);
  }
}

function writeValue(view: DataView, at: number, type: FieldType, v: number, le: boolean): void {
  switch (type) {
    case "u8":
    case "char":
      view.setUint8(at, v);
      return;
    case "i16":
      view.setInt16(at, v, le);
      return;
    case "i32":
      view.setInt32(at, v, le);
      return;
    case "i64":
      view.setBigInt64(at, BigInt(Math.trunc(v)), le);
      return;
    case "f32":
      view.setFloat32(at, v, le);
      return;
    case "f64":
      view.setFloat64(at, v, le);
      return;
  }
}

/** Decodes a record with `layout` from the start of `bytes` (at least `layout.sizeofHdr` long). */
export function unpackRecord(bytes: Uint8Array, layout: NiftiLayout, littleEndian: boolean): HeaderRecord {
  const view = new DataView(bytes.buffer, bytes.byteOffset, layout.sizeofHdr);
  const rec: HeaderRecord = {};
  for (const f of layout.fields) {
    const at = layout.offsets.get(f.name)!;
    if (f.type === "char") {
      // Strings keep their raw bytes (magic contains \0 and \r\n); trailing NULs are trimmed
      // only for the free-text fields.
      let s = "";
      for (let i = 0; i < f.count; i++) s += String.fromCharCode(bytes[at + i]!);
      rec[f.name] = f.name === "magic" ? s : s.replace(/\0.*$/s, "");
    } else if (f.count === 1) {
      rec[f.name] = readValue(view, at, f.type, littleEndian);
    } else {
      const arr: number[] = [];
      for (let i = 0; i < f.count; i++)
        arr.push(readValue(view, at + i * SIZES[f.type], f.type, littleEndian));
      rec[f.name] = arr;
    }
  }
  return rec;
}

/** Encodes `rec` with `layout`; missing fields are zero. Strings are truncated to their width. */
export function packRecord(rec: HeaderRecord, layout: NiftiLayout, littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(layout.sizeofHdr);
  const view = new DataView(out.buffer);
  for (const f of layout.fields) {
    const at = layout.offsets.get(f.name)!;
    const v = rec[f.name];
    if (v === undefined) continue;
    if (f.type === "char") {
      const s = String(v);
      // Free text keeps a terminating NUL; magic fills its field exactly.
      const n = Math.min(s.length, f.name === "magic" ? f.count : f.count - 1);
      for (let i = 0; i < n; i++) out[at + i] = s.charCodeAt(i) & 0xff;
    } else if (Array.isArray(v)) {
      for (let i = 0; i < f.count; i++)
        writeValue(view, at + i * SIZES[f.type], f.type, v[i] ?? 0, littleEndian);
    } else {
      writeValue(view, at, f.type, Number(v), littleEndian);
    }
  }
  return out;
}

export type Sniffed = { layout: NiftiLayout; littleEndian: boolean };

/**
 * Version and byte order from the first four bytes (sizeof_hdr is 348 or 540 in the file's byte
 * order), or undefined when they are not a NIfTI header.
 */
export function sniffHeader(bytes: Uint8Array): Sniffed | undefined {
  if (bytes.length < 4) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 4);
  for (const layout of [NIFTI1, NIFTI2])
    for (const littleEndian of [true, false])
      if (view.getInt32(0, littleEndian) === layout.sizeofHdr) return { layout, littleEndian };
  return undefined;
}

const num = (v: HeaderValue | undefined): number => (typeof v === "number" ? v : 0);
const arr = (v: HeaderValue | undefined, n: number): number[] =>
  Array.isArray(v) ? v : new Array<number>(n).fill(0);

/** The typed view of a decoded record. */
export function toHeader(raw: HeaderRecord, s: Sniffed): NiftiHeader {
  return {
    layout: s.layout,
    littleEndian: s.littleEndian,
    dim: arr(raw.dim, 8),
    pixdim: arr(raw.pixdim, 8),
    datatype: num(raw.datatype),
    bitpix: num(raw.bitpix),
    vox_offset: num(raw.vox_offset),
    scl_slope: num(raw.scl_slope),
    scl_inter: num(raw.scl_inter),
    qform_code: num(raw.qform_code),
    sform_code: num(raw.sform_code),
    quatern_b: num(raw.quatern_b),
    quatern_c: num(raw.quatern_c),
    quatern_d: num(raw.quatern_d),
    qoffset_x: num(raw.qoffset_x),
    qoffset_y: num(raw.qoffset_y),
    qoffset_z: num(raw.qoffset_z),
    srow_x: arr(raw.srow_x, 4),
    srow_y: arr(raw.srow_y, 4),
    srow_z: arr(raw.srow_z, 4),
    xyzt_units: num(raw.xyzt_units),
    intent_code: num(raw.intent_code),
    intent_name: String(raw.intent_name ?? ""),
    descrip: String(raw.descrip ?? ""),
    magic: String(raw.magic ?? ""),
    raw,
  };
}
