/**
 * TrainData over arrays already in memory (features from a cache, tests, small experiments):
 * each epoch's order is a Fisher–Yates shuffle drawn from the epoch's stream, so it depends on
 * (seed, epoch) alone.
 */
import { InputError } from "../errors.js";
import type { BatchTensor, EpochContext, TrainBatch, TrainData } from "./trainable.js";

/** N cases: each input [N, …] and labels [N, F]. */
export interface ArraySet {
  inputs: Readonly<Record<string, BatchTensor>>;
  labels: Float32Array;
}

function caseCount(set: ArraySet, what: string): number {
  const counts = Object.entries(set.inputs).map(([name, t]) => {
    const n = t.shape[0] ?? 0;
    const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
    if (t.data.length !== n * per)
      throw new InputError(
        `input "${name}" has ${t.data.length} values for shape [${t.shape.join(", ")}]`,
        what,
      );
    return n;
  });
  const n = counts[0] ?? 0;
  if (counts.some((c) => c !== n)) throw new InputError("inputs have different case counts", what);
  return n;
}

function gather(set: ArraySet, rows: readonly number[], findings: number): TrainBatch {
  const inputs: Record<string, BatchTensor> = {};
  for (const [name, t] of Object.entries(set.inputs)) {
    const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
    const data = new Float32Array(rows.length * per);
    rows.forEach((r, i) => {
      data.set(t.data.subarray(r * per, (r + 1) * per), i * per);
    });
    inputs[name] = { data, shape: [rows.length, ...t.shape.slice(1)] };
  }
  const labels = new Float32Array(rows.length * findings);
  rows.forEach((r, i) => {
    labels.set(set.labels.subarray(r * findings, (r + 1) * findings), i * findings);
  });
  return { inputs, labels };
}

function* batchesOf(set: ArraySet, order: readonly number[], batchSize: number, findings: number) {
  for (let i = 0; i < order.length; i += batchSize)
    yield gather(set, order.slice(i, i + batchSize), findings);
}

/**
 * Training batches shuffled per epoch (the last one may be smaller unless `dropLast`),
 * validation batches in case order.
 */
export function memoryData(
  findings: readonly string[],
  train: ArraySet,
  val: ArraySet,
  opts: { batchSize: number; dropLast?: boolean },
): TrainData {
  const f = findings.length;
  const nTrain = caseCount(train, "training set");
  caseCount(val, "validation set");
  if (train.labels.length !== nTrain * f)
    throw new InputError(
      `labels have ${train.labels.length} values for ${nTrain} cases × ${f} findings`,
      "training set",
    );
  const { batchSize, dropLast = false } = opts;
  const steps = dropLast ? Math.floor(nTrain / batchSize) : Math.ceil(nTrain / batchSize);
  const nVal = val.labels.length / f;
  return {
    findings,
    stepsPerEpoch: steps,
    trainLabels: train.labels,
    async *train(ctx: EpochContext) {
      const order = Array.from({ length: nTrain }, (_, i) => i);
      for (let i = nTrain - 1; i > 0; i--) {
        const j = ctx.rng.int(0, i);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      order.length = Math.min(nTrain, steps * batchSize);
      yield* batchesOf(train, order, batchSize, f);
    },
    async *val() {
      yield* batchesOf(
        val,
        Array.from({ length: nVal }, (_, i) => i),
        batchSize,
        f,
      );
    },
  };
}
