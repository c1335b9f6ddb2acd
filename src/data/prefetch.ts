/**
 * Background prefetching: batches of prepared (and, for training, augmented) cases, produced
 * ahead of the consumer by a pool of worker threads, in an order that depends only on the cases
 * and the seeds — never on the number of workers or on which finishes first.
 */
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import { InputError } from "../errors.js";
import { Rng } from "../random/rng.js";
import { startWorker, stopWorker } from "../worker.js";
import { type AugmentConfig, applyAugment, drawAugment } from "./augment.js";
import { type PreprocessConfig, preprocessConfig } from "./config.js";
import type { DataCase } from "./manifest.js";
import type { PreparedCase } from "./pipeline.js";
import { type PrepareJob, prepareJob } from "./prepare-job.js";

export interface LoaderOptions {
  config: Partial<PreprocessConfig>;
  batchSize: number;
  /** Batches prepared ahead of the one being consumed (default 2); bounds memory. */
  ahead?: number;
  /** Worker threads; 0 prepares on the calling thread (default: cores − 1, at least 1, at most 4). */
  workers?: number;
  /** Mask names to load with each case. */
  masks?: string[];
  /** Training: augment each case from (seed, epoch, case id). */
  augment?: { config: AugmentConfig; seed: number; epoch: number };
  /** Shuffle the case order from (seed, epoch). */
  shuffle?: { seed: number; epoch: number };
  /** Leave out a last, smaller batch. */
  dropLast?: boolean;
  /**
   * A pool owned by the caller, kept across epochs (starting threads costs about a second);
   * `workers` is then ignored and the pool is not closed at the end of the epoch.
   */
  pool?: PreparePool;
}

export interface Batch {
  /** 0-based batch number within the epoch. */
  index: number;
  ids: string[];
  cases: PreparedCase[];
  /** [B, F] labels (NaN: not labelled). */
  labels: Float32Array;
}

export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/** The order cases are visited in: as given, or a seeded shuffle of it. */
export function epochOrder(n: number, shuffle?: { seed: number; epoch: number }): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  if (!shuffle) return order;
  const r = Rng.stream(shuffle.seed, shuffle.epoch, 0x5f);
  for (let i = n - 1; i > 0; i--) {
    const j = r.int(0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * Results of `fn` over `items`, in item order, with at most `limit` calls in flight (started
 * ahead of the consumer). The first failure (in item order) is thrown; when the consumer stops
 * early, no new call starts and the ones in flight are awaited before returning.
 */
export async function* mapAhead<T, R>(
  items: readonly T[],
  fn: (item: T, index: number) => Promise<R>,
  limit: number,
): AsyncGenerator<R> {
  const pending: Promise<R>[] = [];
  let next = 0;
  const start = () => {
    const p = fn(items[next]!, next);
    next++;
    // Handled later, in order; without this a later failure would be reported as unhandled
    // while an earlier item is still awaited.
    p.catch(() => {});
    pending.push(p);
  };
  try {
    while (next < items.length && pending.length < limit) start();
    while (pending.length > 0) {
      const r = await pending.shift()!;
      if (next < items.length) start();
      yield r;
    }
  } finally {
    await Promise.allSettled(pending);
  }
}

interface Waiting {
  resolve: (c: PreparedCase) => void;
  reject: (e: Error) => void;
}

/** Worker threads running `prepareJob`; jobs queue until a worker is idle. */
export class PreparePool {
  readonly size: number;
  #workers: Worker[] = [];
  #idle: Worker[] = [];
  #queue: { seq: number; job: PrepareJob }[] = [];
  #waiting = new Map<number, Waiting>();
  #busy = new Map<Worker, { seq: number; id: string }>();
  #seq = 0;
  #closed = false;

  constructor(size: number) {
    this.size = Math.max(1, Math.floor(size));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Threads currently running. */
  get threads(): number {
    return this.#workers.length;
  }

  #spawn(): Worker {
    const w = startWorker(new URL("./prepare-worker.js", import.meta.url));
    w.on(
      "message",
      (msg: {
        seq: number;
        item?: PreparedCase;
        error?: { message: string; input: boolean; stack?: string };
      }) => {
        const waiting = this.#waiting.get(msg.seq);
        this.#waiting.delete(msg.seq);
        this.#busy.delete(w);
        this.#idle.push(w);
        this.#pump();
        if (!waiting) return;
        if (msg.item) waiting.resolve(msg.item);
        else {
          const e = msg.error!;
          const err = e.input ? new InputError(e.message) : new Error(e.message);
          if (!e.input && e.stack) err.stack = e.stack;
          waiting.reject(err);
        }
      },
    );
    w.on("error", (err) => {
      // A crashed thread fails its job; the others go on and a fresh thread replaces it.
      const job = this.#busy.get(w);
      this.#busy.delete(w);
      this.#workers = this.#workers.filter((x) => x !== w);
      if (job !== undefined) {
        this.#waiting
          .get(job.seq)
          ?.reject(new Error(`case '${job.id}': worker thread failed: ${err.message}`, { cause: err }));
        this.#waiting.delete(job.seq);
      }
      this.#pump();
    });
    this.#workers.push(w);
    return w;
  }

  #pump(): void {
    while (this.#queue.length > 0 && !this.#closed) {
      let w = this.#idle.pop();
      if (!w && this.#workers.length < this.size) w = this.#spawn();
      if (!w) return;
      const next = this.#queue.shift()!;
      this.#busy.set(w, { seq: next.seq, id: next.job.item.id });
      w.postMessage(next);
    }
  }

  run(job: PrepareJob): Promise<PreparedCase> {
    if (this.#closed) return Promise.reject(new Error("prepare pool is closed"));
    const seq = this.#seq++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(seq, { resolve, reject });
      this.#queue.push({ seq, job });
      this.#pump();
    });
  }

  /** Stops every thread; jobs not finished are rejected. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const err = new Error("prepare pool closed");
    for (const w of this.#waiting.values()) w.reject(err);
    this.#waiting.clear();
    this.#queue = [];
    await Promise.all(this.#workers.map((w) => stopWorker(w)));
    this.#workers = [];
    this.#idle = [];
  }
}

/**
 * The batches of one epoch over `cases`. Breaking out of the loop (or an error) stops the
 * workers; an error names the case (and, through the reader, the file).
 */
export async function* loadBatches(cases: readonly DataCase[], opts: LoaderOptions): AsyncGenerator<Batch> {
  const config = preprocessConfig(opts.config);
  if (!(Number.isInteger(opts.batchSize) && opts.batchSize > 0))
    throw new InputError(`batch size must be a positive integer, got ${opts.batchSize}`);
  const ahead = opts.ahead ?? 2;
  if (!(Number.isInteger(ahead) && ahead >= 1))
    throw new InputError(`ahead must be a positive integer, got ${ahead}`);
  const workers = opts.workers ?? defaultWorkers();
  const order = epochOrder(cases.length, opts.shuffle).map((i) => cases[i]!);
  const nBatches = opts.dropLast
    ? Math.floor(order.length / opts.batchSize)
    : Math.ceil(order.length / opts.batchSize);
  const items = order.slice(0, Math.min(order.length, nBatches * opts.batchSize));
  const pool = opts.pool ?? (workers > 0 ? new PreparePool(workers) : undefined);
  const jobOf = (item: DataCase): PrepareJob => {
    const job: PrepareJob = { item, config, masks: opts.masks ?? [] };
    if (opts.augment)
      job.augment = drawAugment(opts.augment.config, opts.augment.seed, opts.augment.epoch, item.id);
    return job;
  };
  const run = async (item: DataCase): Promise<PreparedCase> => {
    const job = jobOf(item);
    if (pool) return pool.run(job);
    const prepared = await prepareJob(job);
    return job.augment ? applyAugment(prepared, job.augment) : prepared;
  };
  const nf = cases[0]?.labels.length ?? 0;
  const prepared = mapAhead(items, run, ahead * opts.batchSize + opts.batchSize);
  try {
    let batch: PreparedCase[] = [];
    let index = 0;
    for (;;) {
      const next = await prepared.next();
      if (next.done) break;
      batch.push(next.value);
      if (batch.length === opts.batchSize || index * opts.batchSize + batch.length === items.length) {
        const labels = new Float32Array(batch.length * nf);
        for (const [i, b] of batch.entries()) labels.set(b.labels, i * nf);
        yield { index: index++, ids: batch.map((b) => b.id), cases: batch, labels };
        batch = [];
      }
    }
  } finally {
    // Our own threads stop first, so the jobs still in flight fail at once instead of being
    // waited for; then the look-ahead settles them.
    if (pool !== opts.pool) await pool?.close();
    await prepared.return(undefined);
  }
}

/**
 * View `view` of every case of a batch stacked into one tensor [B, …shape]; an InputError when
 * the cases' shapes differ (set `slices` in the preprocessing config to fix the slice count).
 */
export function stackView(batch: Batch, view = 0): { data: Float32Array; shape: number[] } {
  const first = batch.cases[0]!.input.views[view]!;
  const n = first.data.length;
  const out = new Float32Array(n * batch.cases.length);
  batch.cases.forEach((c, i) => {
    const v = c.input.views[view]!;
    if (v.shape.join() !== first.shape.join())
      throw new InputError(
        `case '${c.id}' has input shape [${v.shape.join(", ")}], case '${batch.cases[0]!.id}' [${first.shape.join(", ")}]: set preprocess.slices to batch scans with different slice counts`,
      );
    out.set(v.data, i * n);
  });
  return { data: out, shape: [batch.cases.length, ...first.shape] };
}

/**
 * Mask `name` of view `view` for every case of a batch, as foreground (value > 0 → 1) [B, …mask
 * shape], and which cases have that mask ([B]: 1 or 0; a case without it gets zeros). Load the
 * batch with `masks: [name]`.
 */
export function stackMask(
  batch: Batch,
  name: string,
  view = 0,
): { data: Float32Array; shape: number[]; present: Float32Array } {
  const first = batch.cases.map((c) => c.masks[name]?.[view]).find((m) => m !== undefined);
  const shape = first
    ? first.shape
    : (() => {
        const v = batch.cases[0]!.input.views[view]!;
        // Image [S, C, H, W] or [C, D, H, W] → mask [S, H, W] or [D, H, W].
        return v.plane === "volume" ? v.shape.slice(1) : [v.shape[0]!, ...v.shape.slice(2)];
      })();
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n * batch.cases.length);
  const present = new Float32Array(batch.cases.length);
  batch.cases.forEach((c, i) => {
    const m = c.masks[name]?.[view];
    if (!m) return;
    if (m.shape.join() !== shape.join())
      throw new InputError(
        `case '${c.id}' has mask '${name}' of shape [${m.shape.join(", ")}], expected [${shape.join(", ")}]`,
      );
    present[i] = 1;
    for (let q = 0; q < n; q++) data[i * n + q] = m.data[q]! > 0 ? 1 : 0;
  });
  return { data, shape: [batch.cases.length, ...shape], present };
}
