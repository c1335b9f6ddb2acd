/**
 * Sharded checkpoints as Hugging Face writes them: `model.safetensors.index.json`
 * (`{"metadata": {...}, "weight_map": {tensor name: shard file name}}`) beside the shard files.
 * Shards are opened lazily, the first time one of their tensors is read.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { InputError } from "../../errors.js";
import type { Tensor } from "./dtype.js";
import { toFloat32 } from "./half.js";
import { type ReadSafetensorsOptions, readSafetensors, type SafetensorsFile } from "./reader.js";

const INDEX_SUFFIX = ".safetensors.index.json";

/** Finds the index file: `path` itself, or the one `*.safetensors.index.json` in folder `path`. */
async function findIndex(path: string): Promise<string> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (err) {
    throw new InputError(
      `cannot open (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      path,
    );
  }
  if (!isDir) return path;
  const found = (await readdir(path)).filter((f) => f.endsWith(INDEX_SUFFIX)).sort();
  if (found.includes(`model${INDEX_SUFFIX}`)) return join(path, `model${INDEX_SUFFIX}`);
  if (found.length === 1) return join(path, found[0]!);
  throw new InputError(
    found.length === 0
      ? `no *${INDEX_SUFFIX} in this folder`
      : `several *${INDEX_SUFFIX} files in this folder (${found.join(", ")}); name one`,
    path,
  );
}

/** A sharded checkpoint: one name space over several safetensors files. Call `close()` when done. */
export class ShardedSafetensors {
  /** The index file. */
  readonly path: string;
  /** The index's "metadata" object (e.g. total_size), as written. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Tensor name → absolute shard path. */
  readonly weightMap: ReadonlyMap<string, string>;
  readonly #opts: ReadSafetensorsOptions;
  readonly #open = new Map<string, Promise<SafetensorsFile>>();

  constructor(
    path: string,
    metadata: Record<string, unknown>,
    weightMap: Map<string, string>,
    opts: ReadSafetensorsOptions,
  ) {
    this.path = path;
    this.metadata = metadata;
    this.weightMap = weightMap;
    this.#opts = opts;
  }

  names(): string[] {
    return [...this.weightMap.keys()];
  }

  /** Distinct shard paths, in first-mention order. */
  shards(): string[] {
    return [...new Set(this.weightMap.values())];
  }

  shardOf(name: string): string {
    const shard = this.weightMap.get(name);
    if (shard === undefined) throw new InputError(`no tensor named "${name}" in the weight map`, this.path);
    return shard;
  }

  /** The open reader of a shard (opened on first use). */
  shard(shardPath: string): Promise<SafetensorsFile> {
    let f = this.#open.get(shardPath);
    if (!f) {
      f = readSafetensors(shardPath, this.#opts);
      this.#open.set(shardPath, f);
    }
    return f;
  }

  async tensor(name: string): Promise<Tensor> {
    const shardPath = this.shardOf(name);
    const file = await this.shard(shardPath);
    if (!file.has(name)) {
      throw new InputError(
        `the index maps "${name}" to ${basename(shardPath)}, which has no such tensor`,
        this.path,
      );
    }
    return file.tensor(name);
  }

  async float32(name: string): Promise<Float32Array> {
    return toFloat32(await this.tensor(name));
  }

  async close(): Promise<void> {
    const files = [...this.#open.values()];
    this.#open.clear();
    await Promise.allSettled(files.map(async (f) => (await f).close()));
  }
}

/**
 * Reads a sharded checkpoint's index (`path` is the index file or the folder holding it) and
 * checks that every shard it names exists beside it.
 */
export async function readSafetensorsIndex(
  path: string,
  opts: ReadSafetensorsOptions = {},
): Promise<ShardedSafetensors> {
  const indexPath = await findIndex(path);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(indexPath, "utf8"));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new InputError(e.code ? `cannot read (${e.code})` : `not valid JSON (${e.message})`, indexPath);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new InputError("safetensors index is not a JSON object", indexPath);
  }
  const { metadata, weight_map: weights } = raw as Record<string, unknown>;
  if (typeof weights !== "object" || weights === null || Array.isArray(weights)) {
    throw new InputError('safetensors index has no "weight_map" object', indexPath);
  }
  const dir = dirname(indexPath);
  const weightMap = new Map<string, string>();
  for (const [name, file] of Object.entries(weights)) {
    // Shards live beside the index; a path that leaves the folder is refused, not followed.
    if (
      typeof file !== "string" ||
      file === "" ||
      file.includes("/") ||
      file.includes("\\") ||
      file === ".."
    ) {
      throw new InputError(
        `weight_map entry "${name}" is not a shard file name: ${JSON.stringify(file)}`,
        indexPath,
      );
    }
    weightMap.set(name, join(dir, file));
  }
  for (const shard of new Set(weightMap.values())) {
    try {
      await stat(shard);
    } catch {
      throw new InputError(`shard ${basename(shard)} named in the weight map does not exist`, indexPath);
    }
  }
  const meta = typeof metadata === "object" && metadata !== null && !Array.isArray(metadata) ? metadata : {};
  return new ShardedSafetensors(indexPath, meta as Record<string, unknown>, weightMap, opts);
}
