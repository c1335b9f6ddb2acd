import assert from "node:assert/strict";
import { readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../../test/paths.js";
import { readSafetensors } from "../io/safetensors/reader.js";
import { FeatureCache, stableJson } from "./cache.js";
import { preprocessConfig } from "./config.js";
import type { DataCase } from "./manifest.js";

function setup(dir: string, n: number): DataCase[] {
  return Array.from({ length: n }, (_, c) => {
    const path = join(dir, `scan${c}.bin`);
    writeFileSync(path, `scan ${c}`);
    return {
      id: `c${c}`,
      images: [path],
      contrasts: ["image"],
      masks: {},
      labels: Float32Array.of(1),
      patient: `c${c}`,
      line: c + 2,
    };
  });
}

const features = (c: DataCase) => ({
  slices: {
    dtype: "F32" as const,
    shape: [2, 3],
    data: Float32Array.from({ length: 6 }, (_, i) => i + 0.5 * Number(c.id.slice(1))),
  },
});

test("miss, put, hit: tensors and metadata come back", async (t) => {
  const dir = tempDir(t);
  const [a] = setup(dir, 1);
  const cache = new FeatureCache(join(dir, "cache"), {
    preprocess: preprocessConfig(),
    backbone: { id: "vit-s16", config: { layer: -1 } },
  });
  assert.equal(await cache.has(a!), false);
  assert.equal(await cache.get(a!), undefined);
  const path = await cache.put(a!, features(a!));
  assert.equal(await cache.has(a!), true);
  const got = await cache.get(a!);
  assert.deepEqual(got?.get("slices")?.shape, [2, 3]);
  assert.deepEqual(got?.get("slices")?.data, features(a!).slices.data);
  const f = await readSafetensors(path);
  assert.equal(f.metadata.case, "c0");
  assert.equal(f.metadata.backbone, "vit-s16");
  await f.close();
});

test("the key changes with the scan file, the preprocessing and the backbone — not with key order", async (t) => {
  const dir = tempDir(t);
  const [a] = setup(dir, 1);
  const opts = { preprocess: preprocessConfig(), backbone: { id: "b", config: { layer: 11, pool: "cls" } } };
  const cache = new FeatureCache(join(dir, "cache"), opts);
  await cache.put(a!, features(a!));
  const k0 = await cache.key(a!);
  // Same content, other key order in the configs: same key.
  const reordered = new FeatureCache(join(dir, "cache"), {
    backbone: { config: { pool: "cls", layer: 11 }, id: "b" },
    preprocess: JSON.parse(stableJson(opts.preprocess)),
  });
  assert.equal(await reordered.key(a!), k0);
  assert.equal(await reordered.has(a!), true);
  assert.notEqual(
    await new FeatureCache(join(dir, "cache"), {
      ...opts,
      preprocess: preprocessConfig({ size: [112, 112] }),
    }).key(a!),
    k0,
  );
  assert.notEqual(
    await new FeatureCache(join(dir, "cache"), {
      ...opts,
      backbone: { id: "b", config: { layer: 10, pool: "cls" } },
    }).key(a!),
    k0,
  );
  // Rewriting the scan (new size and mtime) invalidates the entry.
  writeFileSync(a!.images[0]!, "scan 0, re-exported");
  assert.equal(await cache.has(a!), false);
  assert.equal(await cache.get(a!), undefined);
});

test("content identity survives touch; stat identity does not", async (t) => {
  const dir = tempDir(t);
  const [a] = setup(dir, 1);
  const base = { preprocess: preprocessConfig(), backbone: { id: "b" } };
  const byStat = new FeatureCache(join(dir, "c1"), base);
  const byContent = new FeatureCache(join(dir, "c2"), { ...base, identity: "content" });
  const [ks, kc] = [await byStat.key(a!), await byContent.key(a!)];
  const later = new Date(statSync(a!.images[0]!).mtimeMs + 5000);
  utimesSync(a!.images[0]!, later, later);
  assert.notEqual(await byStat.key(a!), ks);
  assert.equal(await byContent.key(a!), kc);
});

test("fill is resumable: an interrupted run keeps what it wrote, the rerun computes only the rest", async (t) => {
  const dir = tempDir(t);
  const cases = setup(dir, 5);
  const cache = new FeatureCache(join(dir, "cache"), {
    preprocess: preprocessConfig(),
    backbone: { id: "b" },
  });
  const calls: string[] = [];
  await assert.rejects(
    cache.fill(cases, async (c) => {
      if (c.id === "c3") throw new Error("killed");
      calls.push(c.id);
      return features(c);
    }),
    /killed/,
  );
  assert.deepEqual(calls, ["c0", "c1", "c2"]);
  calls.length = 0;
  const progress: boolean[] = [];
  const r = await cache.fill(
    cases,
    async (c) => {
      calls.push(c.id);
      return features(c);
    },
    (_done, _total, cached) => progress.push(cached),
  );
  assert.deepEqual(calls, ["c3", "c4"]);
  assert.deepEqual(r, { computed: 2, skipped: 3 });
  assert.deepEqual(progress, [true, true, true, false, false]);
});

test("size counts entries and bytes; leftovers of a crashed write are never read; prune drops stale entries", async (t) => {
  const dir = tempDir(t);
  const cases = setup(dir, 3);
  const root = join(dir, "cache");
  const cache = new FeatureCache(root, { preprocess: preprocessConfig(), backbone: { id: "b" } });
  const paths = [];
  for (const c of cases) paths.push(await cache.put(c, features(c)));
  // What a writer killed mid-way leaves: a temporary name next to the final one.
  const key = await cache.key(cases[0]!);
  const sub = join(root, key.slice(0, 2));
  writeFileSync(join(sub, `.${key}.safetensors.999.abcd1234.tmp`), "partial");
  const s = await cache.size();
  assert.equal(s.entries, 3);
  assert.equal(
    s.bytes,
    paths.reduce((a, p) => a + statSync(p).size, 0),
  );
  // The key of case 0 changes (new scan file): its old entry is stale.
  writeFileSync(cases[0]!.images[0]!, "new contents");
  const pruned = await cache.prune(cases);
  assert.equal(pruned.entries, 1);
  assert.equal(pruned.bytes, statSync(paths[1]!).size);
  assert.equal((await cache.size()).entries, 2);
  assert.ok(
    readdirSync(sub).some((f) => f.endsWith(".tmp")),
    "temporary files are not entries",
  );
});
