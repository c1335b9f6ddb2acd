import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../../test/paths.js";
import { InputError } from "../errors.js";
import { writeNifti } from "../io/nifti/write.js";
import { Volume } from "../volume/volume.js";
import { augmentConfig } from "./augment.js";
import { preprocessConfig } from "./config.js";
import type { DataCase } from "./manifest.js";
import { type Batch, epochOrder, loadBatches, mapAhead, PreparePool, stackView } from "./prefetch.js";

/** `n` small CT scans (8×8×4, HU = 10·case + i) written as NIfTI, one case each. */
async function cohort(dir: string, n: number): Promise<DataCase[]> {
  const cases: DataCase[] = [];
  for (let c = 0; c < n; c++) {
    const data = new Int16Array(8 * 8 * 4);
    for (let q = 0; q < data.length; q++) data[q] = 10 * c + (q % 8);
    const path = join(dir, `c${c}.nii.gz`);
    await writeNifti(path, new Volume({ data, dtype: "int16", shape: [8, 8, 4] }));
    cases.push({
      id: `c${c}`,
      images: [path],
      contrasts: ["image"],
      masks: { m: path },
      labels: Float32Array.of(c % 2, 1 - (c % 2)),
      patient: `c${c}`,
      line: c + 2,
    });
  }
  return cases;
}

const config = preprocessConfig({ size: [6, 6], slices: 3 });

async function collect(it: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

test("batches are identical whatever the number of workers (shuffled, augmented)", async (t) => {
  const cases = await cohort(tempDir(t), 7);
  const opts = {
    config,
    batchSize: 3,
    ahead: 1,
    masks: ["m"],
    shuffle: { seed: 4, epoch: 2 },
    augment: { config: augmentConfig(), seed: 4, epoch: 2 },
  };
  const runs = await Promise.all(
    [0, 1, 3].map((workers) => collect(loadBatches(cases, { ...opts, workers }))),
  );
  const order = epochOrder(7, { seed: 4, epoch: 2 }).map((i) => `c${i}`);
  for (const run of runs) {
    assert.deepEqual(
      run.map((b) => b.ids.length),
      [3, 3, 1],
    );
    assert.deepEqual(
      run.flatMap((b) => b.ids),
      order,
    );
    assert.deepEqual(
      run.map((b) => b.index),
      [0, 1, 2],
    );
  }
  for (const run of runs.slice(1))
    run.forEach((b, i) => {
      b.cases.forEach((c, j) => {
        assert.deepEqual(c.input.views[0]!.data, runs[0]![i]!.cases[j]!.input.views[0]!.data);
        assert.deepEqual(c.masks.m![0]!.data, runs[0]![i]!.cases[j]!.masks.m![0]!.data);
      });
      assert.deepEqual(b.labels, runs[0]![i]!.labels);
    });
  // Labels stacked [B, F] in batch order.
  const first = runs[0]![0]!;
  assert.deepEqual(
    Array.from(first.labels),
    first.ids.flatMap((id) => {
      const c = Number(id.slice(1));
      return [c % 2, 1 - (c % 2)];
    }),
  );
  const stacked = stackView(first);
  assert.deepEqual(stacked.shape, [3, 3, 3, 6, 6]);
  // Another epoch shuffles and augments differently.
  const other = await collect(
    loadBatches(cases, {
      ...opts,
      workers: 0,
      shuffle: { seed: 4, epoch: 3 },
      augment: { ...opts.augment, epoch: 3 },
    }),
  );
  assert.notDeepEqual(
    other.flatMap((b) => b.ids),
    order,
  );
});

test("dropLast leaves out the short batch; unshuffled order is the manifest's", async (t) => {
  const cases = await cohort(tempDir(t), 5);
  const batches = await collect(loadBatches(cases, { config, batchSize: 2, workers: 0, dropLast: true }));
  assert.deepEqual(
    batches.map((b) => b.ids),
    [
      ["c0", "c1"],
      ["c2", "c3"],
    ],
  );
});

test("a failing case stops the epoch with an error naming the case and the file", async (t) => {
  const dir = tempDir(t);
  const cases = await cohort(dir, 4);
  const missing = join(dir, "gone.nii.gz");
  cases[2] = { ...cases[2]!, images: [missing] };
  for (const workers of [0, 2]) {
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const b of loadBatches(cases, { config, batchSize: 1, workers })) seen.push(...b.ids);
      })(),
      (e: unknown) => e instanceof InputError && /case 'c2'/.test(e.message) && e.message.includes(missing),
    );
    // Cases before the failing one were delivered, in order.
    assert.deepEqual(seen, ["c0", "c1"]);
  }
});

test("mapAhead: order kept, at most `limit` calls ahead, nothing new after the consumer stops", async () => {
  let started = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const fn = async (x: number) => {
    started++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    // Later items finish first, so results arrive out of order.
    await new Promise((r) => setTimeout(r, 20 - 2 * x));
    inFlight--;
    return x * x;
  };
  const got: number[] = [];
  for await (const v of mapAhead([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], fn, 3)) {
    got.push(v);
    // The consumer has taken got.length items; at most 3 more may have started.
    assert.ok(started <= got.length + 3, `${started} started after ${got.length} consumed`);
    if (got.length === 4) break;
  }
  assert.deepEqual(got, [0, 1, 4, 9]);
  assert.ok(maxInFlight <= 3);
  const startedAtStop = started;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(started, startedAtStop);
  assert.equal(inFlight, 0, "calls in flight were awaited before the loop returned");
});

test("PreparePool: close stops the threads and refuses new work; breaking out of an epoch returns", async (t) => {
  const cases = await cohort(tempDir(t), 4);
  const pool = new PreparePool(2);
  const jobs = cases.map((item) => pool.run({ item, config, masks: [] }));
  const done = await Promise.all(jobs);
  assert.deepEqual(
    done.map((d) => d.id),
    ["c0", "c1", "c2", "c3"],
  );
  assert.equal(pool.threads, 2);
  await pool.close();
  assert.equal(pool.threads, 0);
  await assert.rejects(pool.run({ item: cases[0]!, config, masks: [] }), /closed/);
  let n = 0;
  for await (const _ of loadBatches(cases, { config, batchSize: 1, workers: 2, ahead: 2 }))
    if (++n === 1) break;
  assert.equal(n, 1);
  // A caller's pool outlives the epoch (also one cut short) and serves the next.
  const shared = new PreparePool(1);
  for await (const _ of loadBatches(cases, { config, batchSize: 2, pool: shared })) break;
  assert.equal(shared.closed, false);
  const again = await collect(loadBatches(cases, { config, batchSize: 2, pool: shared }));
  assert.deepEqual(
    again.flatMap((b) => b.ids),
    ["c0", "c1", "c2", "c3"],
  );
  await shared.close();
});

test("stackView refuses cases of different shapes with a hint", async (t) => {
  const cases = await cohort(tempDir(t), 2);
  const [b] = await collect(loadBatches(cases, { config: { size: [6, 6] }, batchSize: 2, workers: 0 }));
  b!.cases[1]!.input.views[0]!.shape = [5, 3, 6, 6];
  assert.throws(() => stackView(b!), /set preprocess\.slices/);
});
