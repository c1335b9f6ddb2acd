/**
 * The safetensors header: an 8-byte little-endian length N, then N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}`, padded with
 * spaces; offsets count from the first byte after the header.
 *
 * Parsing validates what the reference implementation (huggingface/safetensors) validates, so a
 * file we accept is one it accepts: header size bound, UTF-8 JSON object,
 * known dtypes, byte length = elements × element size, and data offsets that tile the data
 * buffer exactly (start at 0, contiguous, no overlap, ending at the end of the file).
 */
import { InputError } from "../../errors.js";
import { DTYPES, isDType, numel, type SafetensorsDType } from "./dtype.js";

/** The reference implementation refuses larger headers; so do we (a guard against garbage). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  dtype: SafetensorsDType;
  shape: number[];
  /** [begin, end) in bytes, relative to the start of the data buffer. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** In file order (ascending offsets). */
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  /** Absolute file offset of the data buffer: 8 + header length. */
  dataStart: number;
}

/** Reads N from the first 8 bytes and checks it against the file size. */
export function headerLength(
  prefix: Uint8Array,
  fileSize: number,
  source: string,
  maxHeaderBytes = MAX_HEADER_BYTES,
): number {
  if (fileSize < 8)
    throw new InputError(
      `not a safetensors file: ${fileSize} bytes, shorter than the 8-byte header length`,
      source,
    );
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(maxHeaderBytes)) {
    throw new InputError(
      `safetensors header length ${n} exceeds the ${maxHeaderBytes}-byte limit (not a safetensors file?)`,
      source,
    );
  }
  const len = Number(n);
  if (8 + len > fileSize) {
    throw new InputError(
      `safetensors header length ${len} runs past the end of the file (${fileSize} bytes; truncated?)`,
      source,
    );
  }
  return len;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

function isCount(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

/** Parses and validates the JSON header; `fileSize` is the size of the whole file. */
export function parseHeader(json: Uint8Array, fileSize: number, source: string): SafetensorsHeader {
  let text: string;
  try {
    text = decoder.decode(json);
  } catch {
    throw new InputError("safetensors header is not valid UTF-8", source);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InputError(`safetensors header is not valid JSON (${(err as Error).message})`, source);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new InputError("safetensors header is not a JSON object", source);
  }
  let metadata: Record<string, string> = {};
  const entries: [string, TensorInfo][] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (name === "__metadata__") {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new InputError("safetensors __metadata__ is not an object of strings", source);
      }
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== "string")
          throw new InputError(`safetensors __metadata__ value "${k}" is not a string`, source);
      }
      // fromEntries defines own properties, so even a "__proto__" key stays plain data.
      metadata = Object.fromEntries(Object.entries(value));
      continue;
    }
    entries.push([name, tensorInfo(name, value, source)]);
  }
  const dataStart = 8 + json.byteLength;
  const dataBytes = fileSize - dataStart;
  // Sort by offsets so that gaps and overlaps show up between neighbours.
  entries.sort(
    (a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1],
  );
  let end = 0;
  let prevName = "";
  for (const [name, info] of entries) {
    const [b, e] = info.dataOffsets;
    if (b !== end) {
      const where = prevName === "" ? "the data buffer starts at 0" : `"${prevName}" ends at ${end}`;
      throw new InputError(
        `safetensors tensor "${name}" starts at byte ${b} but ${where} (${b < end ? "overlap" : "gap"})`,
        source,
      );
    }
    if (e > dataBytes) {
      throw new InputError(
        `safetensors tensor "${name}" ends at byte ${e} of the data buffer, past the end of the file (${dataBytes} data bytes; truncated?)`,
        source,
      );
    }
    end = e;
    prevName = name;
  }
  if (end !== dataBytes) {
    throw new InputError(
      `safetensors data buffer is ${dataBytes} bytes but the tensors cover ${end} (trailing bytes or wrong offsets)`,
      source,
    );
  }
  return { tensors: new Map(entries), metadata, dataStart };
}

function tensorInfo(name: string, value: unknown, source: string): TensorInfo {
  const bad = (problem: string) => new InputError(`safetensors tensor "${name}": ${problem}`, source);
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw bad("entry is not an object");
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (!isDType(dtype)) throw bad(`unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every(isCount))
    throw bad(`shape ${JSON.stringify(shape)} is not a list of sizes`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw bad(`data_offsets ${JSON.stringify(offsets)} is not [begin, end]`);
  }
  const [b, e] = offsets as [number, number];
  if (e < b) throw bad(`data_offsets [${b}, ${e}] end before they begin`);
  const need = numel(shape) * DTYPES[dtype].bytes;
  if (!Number.isSafeInteger(need) || need !== e - b) {
    throw bad(
      `dtype ${dtype} × shape [${shape.join(", ")}] needs ${need} bytes but data_offsets span ${e - b}`,
    );
  }
  return { dtype, shape: shape.slice(), dataOffsets: [b, e] };
}

/** The header as written: 8-byte length, JSON padded with spaces to a multiple of 8 bytes. */
export function encodeHeader(
  layout: readonly {
    name: string;
    dtype: SafetensorsDType;
    shape: readonly number[];
    begin: number;
    end: number;
  }[],
  metadata: Record<string, string> | undefined,
): Uint8Array {
  // Built as text so that keys keep layout order (a JS object would move "0", "1"… first).
  const parts: string[] = [];
  if (metadata && Object.keys(metadata).length > 0) parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  for (const t of layout) {
    const info = { dtype: t.dtype, shape: t.shape, data_offsets: [t.begin, t.end] };
    parts.push(`${JSON.stringify(t.name)}:${JSON.stringify(info)}`);
  }
  const json = new TextEncoder().encode(`{${parts.join(",")}}`);
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const out = new Uint8Array(8 + padded).fill(0x20, 8 + json.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}
