/**
 * Reading safetensors: lazily from a file (header parsed on open, each tensor fetched with
 * positioned reads when asked for, so a multi-gigabyte checkpoint never sits in memory whole),
 * or from bytes already in memory.
 */
import { type FileHandle, open } from "node:fs/promises";
import { endianness } from "node:os";
import { InputError } from "../../errors.js";
import { type Tensor, viewAs } from "./dtype.js";
import { toFloat32 } from "./half.js";
import {
  headerLength,
  MAX_HEADER_BYTES,
  parseHeader,
  type SafetensorsHeader,
  type TensorInfo,
} from "./header.js";

export interface ReadSafetensorsOptions {
  /** Refuse headers longer than this many bytes (default 100 MB, as the reference does). */
  maxHeaderBytes?: number;
}

/** safetensors is little-endian and tensors are viewed in place, so a big-endian host would misread. */
function assertLittleEndian(): void {
  if (endianness() !== "LE") throw new Error("safetensors I/O needs a little-endian host");
}

/** Node reads at most 2 GiB per call; larger tensors are read in pieces. */
const MAX_READ = 1 << 30;

async function readFully(fh: FileHandle, into: Uint8Array, position: number, source: string): Promise<void> {
  let done = 0;
  while (done < into.byteLength) {
    const want = Math.min(into.byteLength - done, MAX_READ);
    const { bytesRead } = await fh.read(into, done, want, position + done);
    if (bytesRead === 0)
      throw new InputError(
        `unexpected end of file at byte ${position + done} (file changed while reading?)`,
        source,
      );
    done += bytesRead;
  }
}

/** An open safetensors file. Call `close()` when done. */
export class SafetensorsFile {
  readonly path: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly header: SafetensorsHeader;
  #fh: FileHandle | undefined;

  constructor(path: string, fh: FileHandle, header: SafetensorsHeader) {
    this.path = path;
    this.#fh = fh;
    this.header = header;
    this.metadata = header.metadata;
  }

  /** Tensor names in file order. */
  names(): string[] {
    return [...this.header.tensors.keys()];
  }

  has(name: string): boolean {
    return this.header.tensors.has(name);
  }

  /** dtype, shape and offsets of one tensor, without reading it. */
  info(name: string): TensorInfo {
    const info = this.header.tensors.get(name);
    if (!info)
      throw new InputError(`no tensor named "${name}" (the file has ${this.header.tensors.size})`, this.path);
    return info;
  }

  /** One tensor in its stored dtype (F16/BF16/F8 as raw bits; see `float32`). */
  async tensor(name: string): Promise<Tensor> {
    const info = this.info(name);
    if (!this.#fh) throw new Error(`${this.path}: safetensors file already closed`);
    const [b, e] = info.dataOffsets;
    // A fresh ArrayBuffer per tensor is aligned for every element type.
    const bytes = new Uint8Array(e - b);
    await readFully(this.#fh, bytes, this.header.dataStart + b, this.path);
    return { dtype: info.dtype, shape: info.shape.slice(), data: viewAs(info.dtype, bytes) };
  }

  /** One tensor converted to Float32 (F16, BF16, F8, integers, F64). */
  async float32(name: string): Promise<Float32Array> {
    return toFloat32(await this.tensor(name));
  }

  async close(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    await fh?.close();
  }
}

/** Opens `path`, reads and validates its header; tensors are read later, on demand. */
export async function readSafetensors(
  path: string,
  opts: ReadSafetensorsOptions = {},
): Promise<SafetensorsFile> {
  assertLittleEndian();
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch (err) {
    throw new InputError(
      `cannot open safetensors file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      path,
    );
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new InputError("not a regular file", path);
    const { size } = st;
    const prefix = new Uint8Array(8);
    if (size >= 8) await readFully(fh, prefix, 0, path);
    const n = headerLength(prefix, size, path, opts.maxHeaderBytes ?? MAX_HEADER_BYTES);
    const json = new Uint8Array(n);
    await readFully(fh, json, 8, path);
    return new SafetensorsFile(path, fh, parseHeader(json, size, path));
  } catch (err) {
    await fh.close();
    throw err;
  }
}

export interface DecodedSafetensors {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

/**
 * Decodes a whole safetensors file held in memory. Tensor arrays are copies, so they never alias
 * `bytes` (and are aligned whatever the header length).
 */
export function decodeSafetensors(bytes: Uint8Array, source = "<safetensors bytes>"): DecodedSafetensors {
  assertLittleEndian();
  const n = headerLength(bytes.subarray(0, 8), bytes.byteLength, source);
  const header = parseHeader(bytes.subarray(8, 8 + n), bytes.byteLength, source);
  const tensors = new Map<string, Tensor>();
  for (const [name, info] of header.tensors) {
    const [b, e] = info.dataOffsets;
    // Not bytes.slice(): on a Node Buffer that is a view, not a copy.
    const copy = new Uint8Array(e - b);
    copy.set(bytes.subarray(header.dataStart + b, header.dataStart + e));
    tensors.set(name, { dtype: info.dtype, shape: info.shape.slice(), data: viewAs(info.dtype, copy) });
  }
  return { tensors, metadata: header.metadata };
}
