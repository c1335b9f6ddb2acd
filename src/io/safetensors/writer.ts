/**
 * Writing safetensors, streamed to a temporary file and renamed into place, or into memory.
 *
 * Layout follows the reference implementation: tensors ordered by element size (largest first)
 * then by name, so each starts naturally aligned after the 8-byte-padded header.
 */
import { open } from "node:fs/promises";
import { endianness } from "node:os";
import { InputError } from "../../errors.js";
import { withAtomicPath } from "../atomic.js";
import { bytesOf, DTYPES, isDType, numel, type SafetensorsDType, type Tensor } from "./dtype.js";
import { float32ToBF16, float32ToF16 } from "./half.js";
import { encodeHeader } from "./header.js";

/**
 * A tensor to write. `data` is the typed array of its dtype (Uint16Array bits for F16/BF16,
 * Uint8Array for BOOL and F8), or raw little-endian bytes as a Uint8Array; F16 and BF16 also
 * accept a Float32Array, rounded to nearest even on write.
 */
export interface TensorInput {
  dtype: SafetensorsDType;
  shape: readonly number[];
  data: ArrayBufferView;
}

export type TensorsInput = Record<string, TensorInput> | Map<string, TensorInput | Tensor>;

interface Planned {
  name: string;
  dtype: SafetensorsDType;
  shape: readonly number[];
  begin: number;
  end: number;
  data: ArrayBufferView;
  /** Float32 source narrowed chunk by chunk while writing. */
  narrow?: (src: Float32Array, out: Uint16Array) => Uint16Array;
}

function plan(tensors: TensorsInput, metadata: Record<string, string> | undefined, source: string) {
  const list = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const order = Object.keys(DTYPES);
  list.sort(
    ([an, a], [bn, b]) => order.indexOf(a.dtype) - order.indexOf(b.dtype) || (an < bn ? -1 : an > bn ? 1 : 0),
  );
  const bad = (name: string, problem: string) =>
    new InputError(`cannot write tensor "${name}": ${problem}`, source);
  const planned: Planned[] = [];
  let offset = 0;
  for (const [name, t] of list) {
    if (name === "__metadata__" || name === "") throw bad(name, "reserved or empty name");
    if (!isDType(t.dtype)) throw bad(name, `unknown dtype ${JSON.stringify(t.dtype)}`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw bad(name, `bad shape [${t.shape.join(", ")}]`);
    const info = DTYPES[t.dtype];
    const n = numel(t.shape);
    const bytes = n * info.bytes;
    const d = t.data;
    let narrow: Planned["narrow"];
    if ((t.dtype === "F16" || t.dtype === "BF16") && d instanceof Float32Array) {
      if (d.length !== n) throw bad(name, `${d.length} values for shape [${t.shape.join(", ")}] (${n})`);
      narrow = t.dtype === "F16" ? float32ToF16 : float32ToBF16;
    } else if (d.constructor === info.array) {
      const len = d.byteLength / info.bytes;
      if (len !== n) throw bad(name, `${len} values for shape [${t.shape.join(", ")}] (${n})`);
    } else if (d instanceof Uint8Array) {
      if (d.byteLength !== bytes)
        throw bad(name, `${d.byteLength} bytes for ${t.dtype} [${t.shape.join(", ")}] (${bytes})`);
    } else {
      throw bad(
        name,
        `${d.constructor.name} data for dtype ${t.dtype} (expected ${info.array.name} or Uint8Array bytes)`,
      );
    }
    planned.push({
      name,
      dtype: t.dtype,
      shape: t.shape,
      begin: offset,
      end: offset + bytes,
      data: d,
      narrow,
    });
    offset += bytes;
  }
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string")
        throw new InputError(`cannot write metadata "${k}": value is not a string`, source);
    }
  }
  return { header: encodeHeader(planned, metadata), planned, dataBytes: offset };
}

/** Elements narrowed per chunk, so a large Float32 tensor is never duplicated whole. */
const CHUNK = 1 << 20;

/** The bytes of one planned tensor, as a sequence of chunks. */
function* chunks(p: Planned): Generator<Uint8Array> {
  if (!p.narrow) {
    yield bytesOf(p.data);
    return;
  }
  const src = p.data as Float32Array;
  const out = new Uint16Array(Math.min(CHUNK, src.length));
  for (let i = 0; i < src.length; i += CHUNK) {
    const part = src.subarray(i, Math.min(src.length, i + CHUNK));
    yield bytesOf(p.narrow(part, out.subarray(0, part.length)));
  }
}

/** Writes a safetensors file atomically (temporary name, then rename). */
export async function writeSafetensors(
  path: string,
  tensors: TensorsInput,
  metadata?: Record<string, string>,
): Promise<void> {
  if (endianness() !== "LE") throw new Error("safetensors I/O needs a little-endian host");
  const { header, planned } = plan(tensors, metadata, path);
  await withAtomicPath(path, async (tmp) => {
    const fh = await open(tmp, "w");
    try {
      let pos = 0;
      const write = async (b: Uint8Array) => {
        let done = 0;
        while (done < b.byteLength) {
          const { bytesWritten } = await fh.write(
            b,
            done,
            Math.min(b.byteLength - done, 1 << 30),
            pos + done,
          );
          done += bytesWritten;
        }
        pos += b.byteLength;
      };
      await write(header);
      for (const p of planned) for (const c of chunks(p)) await write(c);
    } finally {
      await fh.close();
    }
  });
}

/** The bytes of a safetensors file, in memory. */
export function encodeSafetensors(tensors: TensorsInput, metadata?: Record<string, string>): Uint8Array {
  if (endianness() !== "LE") throw new Error("safetensors I/O needs a little-endian host");
  const { header, planned, dataBytes } = plan(tensors, metadata, "<safetensors bytes>");
  const out = new Uint8Array(header.byteLength + dataBytes);
  out.set(header, 0);
  for (const p of planned) {
    let pos = header.byteLength + p.begin;
    for (const c of chunks(p)) {
      out.set(c, pos);
      pos += c.byteLength;
    }
  }
  return out;
}
