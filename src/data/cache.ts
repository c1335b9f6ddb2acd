/**
 * On-disk cache of features computed by a frozen backbone, so that training heads and adapters
 * on top of a frozen path reads features instead of running the backbone every epoch.
 *
 * Key = SHA-256 of (each image's identity, the preprocessing config, the backbone's id and
 * config). A file's identity is its absolute path, size and modification time (default), or its
 * content hash (`identity: "content"`, slower, survives copies and touch). Any change of scan,
 * preprocessing or backbone gives a new key, so stale entries are never read. Values are
 * safetensors files (tensors by name, float32 or any safetensors dtype), written atomically.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { InputError } from "../errors.js";
import type { Tensor } from "../io/safetensors/dtype.js";
import { readSafetensors } from "../io/safetensors/reader.js";
import { type TensorInput, writeSafetensors } from "../io/safetensors/writer.js";
import type { PreprocessConfig } from "./config.js";
import type { DataCase } from "./manifest.js";

export interface BackboneIdentity {
  /** e.g. "dinov2-small" or a weights file path. */
  id: string;
  /** Anything that changes the features: layer taken, pooling, weights hash, … (JSON-able). */
  config?: unknown;
}

export interface FeatureCacheOptions {
  preprocess: PreprocessConfig;
  backbone: BackboneIdentity;
  /** How scan files are identified (default "stat": path + size + mtime). */
  identity?: "stat" | "content";
}

/** JSON with object keys sorted, so equal configs hash equally whatever their key order. */
export function stableJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(",")}}`;
}

async function contentHash(path: string): Promise<string> {
  const h = createHash("sha256");
  await new Promise<void>((res, rej) => {
    createReadStream(path)
      .on("data", (b) => h.update(b))
      .on("end", () => res())
      .on("error", rej);
  });
  return h.digest("hex");
}

/** Identity of a file, or of a DICOM folder (its files' names, sizes and mtimes / contents). */
async function fileIdentity(path: string, how: "stat" | "content"): Promise<string> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch (err) {
    throw new InputError(`cannot read (${(err as NodeJS.ErrnoException).code ?? err})`, path);
  }
  if (st.isDirectory()) {
    const names = (await readdir(path)).sort();
    const parts = await Promise.all(names.map((n) => fileIdentity(join(path, n), how)));
    return `dir:${resolve(path)}[${parts.join(";")}]`;
  }
  if (how === "content") return `sha256:${await contentHash(path)}`;
  return `stat:${resolve(path)}:${st.size}:${st.mtimeMs}`;
}

export interface CacheSize {
  entries: number;
  bytes: number;
}

export class FeatureCache {
  readonly dir: string;
  readonly options: FeatureCacheOptions;
  readonly #configHash: string;

  constructor(dir: string, options: FeatureCacheOptions) {
    this.dir = resolve(dir);
    this.options = options;
    this.#configHash = createHash("sha256")
      .update(stableJson({ preprocess: options.preprocess, backbone: options.backbone }))
      .digest("hex");
  }

  /** The cache key of a case: changes with any of its image files, the preprocessing or the backbone. */
  async key(item: Pick<DataCase, "images">): Promise<string> {
    const ids = await Promise.all(item.images.map((p) => fileIdentity(p, this.options.identity ?? "stat")));
    return createHash("sha256").update(this.#configHash).update("\0").update(ids.join("\0")).digest("hex");
  }

  /** Where the entry of `key` lives (two-level fan-out keeps folders small). */
  pathOf(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.safetensors`);
  }

  async has(item: Pick<DataCase, "images">): Promise<boolean> {
    try {
      return (await stat(this.pathOf(await this.key(item)))).isFile();
    } catch {
      return false;
    }
  }

  /** The cached tensors of a case, or undefined on a miss. */
  async get(item: Pick<DataCase, "images">): Promise<Map<string, Tensor> | undefined> {
    const path = this.pathOf(await this.key(item));
    let f: Awaited<ReturnType<typeof readSafetensors>>;
    try {
      f = await readSafetensors(path);
    } catch (err) {
      if (err instanceof InputError && /ENOENT/.test(err.message)) return undefined;
      throw err;
    }
    try {
      const out = new Map<string, Tensor>();
      for (const name of f.names()) out.set(name, await f.tensor(name));
      return out;
    } finally {
      await f.close();
    }
  }

  /** Stores tensors for a case (atomically: readers see the old entry or the whole new one). */
  async put(
    item: Pick<DataCase, "images"> & { id?: string },
    tensors: Record<string, TensorInput>,
  ): Promise<string> {
    const key = await this.key(item);
    const path = this.pathOf(key);
    await mkdir(join(this.dir, key.slice(0, 2)), { recursive: true });
    const meta: Record<string, string> = {
      backbone: this.options.backbone.id,
      config_sha256: this.#configHash,
      images: JSON.stringify(item.images),
    };
    if (item.id !== undefined) meta.case = item.id;
    await writeSafetensors(path, tensors, meta);
    return path;
  }

  /**
   * Computes and stores features for every case not cached yet, one at a time in order (the
   * backbone is the bottleneck and uses the cores); a rerun after an interruption skips what is
   * done. `onProgress` is called after each case.
   */
  async fill(
    cases: readonly DataCase[],
    compute: (item: DataCase) => Promise<Record<string, TensorInput>>,
    onProgress?: (done: number, total: number, cached: boolean) => void,
  ): Promise<{ computed: number; skipped: number }> {
    let computed = 0;
    let skipped = 0;
    for (const [i, item] of cases.entries()) {
      const cached = await this.has(item);
      if (cached) skipped++;
      else {
        await this.put(item, await compute(item));
        computed++;
      }
      onProgress?.(i + 1, cases.length, cached);
    }
    return { computed, skipped };
  }

  /** Entries and bytes on disk (every entry in the folder, whatever its key). */
  async size(): Promise<CacheSize> {
    let entries = 0;
    let bytes = 0;
    for (const f of await this.#files()) {
      entries++;
      bytes += (await stat(f)).size;
    }
    return { entries, bytes };
  }

  /** Removes entries whose key is not one of `cases`' current keys (stale after a change). */
  async prune(cases: readonly Pick<DataCase, "images">[]): Promise<CacheSize> {
    const keep = new Set(await Promise.all(cases.map(async (c) => this.pathOf(await this.key(c)))));
    let entries = 0;
    let bytes = 0;
    for (const f of await this.#files()) {
      if (keep.has(f)) continue;
      bytes += (await stat(f)).size;
      await rm(f, { force: true });
      entries++;
    }
    return { entries, bytes };
  }

  async #files(): Promise<string[]> {
    let subs: string[];
    try {
      subs = await readdir(this.dir);
    } catch {
      return [];
    }
    const out: string[] = [];
    for (const s of subs) {
      if (!/^[0-9a-f]{2}$/.test(s)) continue;
      for (const f of await readdir(join(this.dir, s)))
        if (/^[0-9a-f]{64}\.safetensors$/.test(f)) out.push(join(this.dir, s, f));
    }
    return out;
  }
}
