/**
 * The training loop: epochs over any async iterable of batches, AdamW with parameter groups,
 * warmup + cosine per step, clipping by global norm, validation mean AUC each epoch, early
 * stopping, best-model tracking, a checkpoint each epoch and exact resume.
 *
 * Determinism: nothing here draws from Math.random. Each epoch's data order and random stream
 * come from (seed, epoch) alone, and a checkpoint holds every other piece of state (weights,
 * optimizer moments and step, early-stopping counters), so `resume` after a kill reproduces an
 * uninterrupted run's weights bit for bit.
 */
import {
  AdamW,
  add,
  clipGradNorm,
  compile,
  compileTrainStep,
  constantSchedule,
  Graph,
  type Program,
  type Schedule,
  sigmoid,
  type TrainStep,
  type Value,
  warmupCosineSchedule,
} from "../engine/index.js";
import { InputError } from "../errors.js";
import { macroAuc } from "../eval/findings.js";
import { Rng } from "../random/rng.js";
import {
  type EpochRecord,
  findCheckpoint,
  readCheckpoint,
  restoreOptimizer,
  restoreParams,
  type SaveHooks,
  STATE_FORMAT,
  type TrainState,
  writeCheckpoint,
} from "./checkpoint.js";
import type { TrainConfig } from "./config.js";
import { EarlyStopping } from "./early-stopping.js";
import { multiLabelLoss, posWeightFromLabels, splitLabels } from "./loss.js";
import { Progress, type ProgressSink } from "./progress.js";
import { RunDir } from "./run-dir.js";
import type { EpochContext, GroupSpec, ParamRef, Trainable, TrainBatch, TrainData } from "./trainable.js";

/** Sub-stream of `Rng.stream(seed, epoch, ·)` handed to each training epoch. */
export const EPOCH_RNG_PURPOSE = 0x7261;

/** The context of training epoch `epoch` (0-based) of a run seeded with `seed`. */
export function epochContext(seed: number, epoch: number): EpochContext {
  return { seed, epoch, rng: Rng.stream(seed, epoch, EPOCH_RNG_PURPOSE) };
}

export interface TrainOptions {
  /** Where progress goes (default process.stderr); null for none. */
  progress?: ProgressSink | null;
  /** Stops at the next batch boundary, as a kill would: the partial epoch is not checkpointed. */
  signal?: AbortSignal;
  /** Failure injection for tests of the checkpoint writes. */
  checkpointHooks?: SaveHooks;
}

export interface TrainResult {
  status: "completed" | "early-stopped" | "aborted";
  runDir: string;
  epochsDone: number;
  step: number;
  best: TrainState["best"];
  history: EpochRecord[];
}

/** Starts a run in `config.runDir` (which must not hold a checkpoint: use `resume` for that). */
export async function train(
  model: Trainable,
  data: TrainData,
  config: TrainConfig,
  opts: TrainOptions = {},
): Promise<TrainResult> {
  const run = new RunDir(config.runDir);
  if (await findCheckpoint(run.lastCheckpoint))
    throw new InputError("already holds a checkpoint: resume it, or choose another runDir", config.runDir);
  await run.create(config);
  const t = new Trainer(model, data, config);
  return t.run(run, undefined, opts);
}

/** Continues the run in `runDir` from checkpoints/last, with the config stored there. */
export async function resume(
  runDir: string,
  model: Trainable,
  data: TrainData,
  opts: TrainOptions = {},
): Promise<TrainResult> {
  const run = new RunDir(runDir);
  const config = await run.readConfig();
  const ck = await readCheckpoint(run.lastCheckpoint);
  await run.openLog();
  const t = new Trainer(model, data, { ...config, runDir });
  return t.run(run, ck, opts);
}

function shapeKey(batch: TrainBatch): string {
  return Object.entries(batch.inputs)
    .map(([k, t]) => `${k}:${t.shape.join("x")}`)
    .sort()
    .join(",");
}

export class Trainer {
  readonly params: ReadonlyMap<string, ParamRef>;
  readonly optimizer: AdamW;
  readonly posWeight: Float32Array | undefined;
  readonly #steps = new Map<string, { step: TrainStep; graph: Graph }>();
  readonly #predictors = new Map<string, Program>();
  readonly #threads: { intraOpThreads?: number };

  constructor(
    readonly model: Trainable,
    readonly data: TrainData,
    readonly config: TrainConfig,
  ) {
    const c = config.train;
    this.params = model.params();
    if (!(Number.isInteger(data.stepsPerEpoch) && data.stepsPerEpoch > 0))
      throw new InputError(
        `stepsPerEpoch must be a positive integer, got ${data.stepsPerEpoch}`,
        "training data",
      );
    const total = c.epochs * data.stepsPerEpoch;
    const schedule: Schedule =
      c.schedule === "constant"
        ? constantSchedule()
        : warmupCosineSchedule({
            warmupSteps: Math.min(total, Math.round(c.warmupEpochs * data.stepsPerEpoch)),
            totalSteps: total,
            minFactor: c.minLrFactor,
          });
    const groups: readonly GroupSpec[] = model.groups?.() ?? c.groups;
    const tensors = new Map([...this.params].map(([n, p]) => [n, p.data]));
    this.optimizer = new AdamW(tensors, {
      lr: c.lr,
      weightDecay: c.weightDecay,
      betas: [c.betas[0], c.betas[1]],
      eps: c.eps,
      groups: groups.map((g) => ({
        name: g.name,
        match: new RegExp(g.match),
        ...(g.lr !== undefined ? { lr: g.lr } : {}),
        ...(g.weightDecay !== undefined ? { weightDecay: g.weightDecay } : {}),
      })),
      schedule,
    });
    if (c.loss.posWeight === "prevalence") {
      if (!data.trainLabels)
        throw new InputError(
          'train.loss.posWeight "prevalence" needs the training labels (TrainData.trainLabels)',
          "training data",
        );
      this.posWeight = posWeightFromLabels(data.trainLabels, data.findings.length, c.loss.maxPosWeight);
    }
    this.#threads = c.threads > 0 ? { intraOpThreads: c.threads } : {};
  }

  #inputs(g: Graph, batch: TrainBatch): Record<string, Value> {
    const inputs: Record<string, Value> = {};
    for (const [name, t] of Object.entries(batch.inputs)) inputs[name] = g.input(name, t.shape);
    return inputs;
  }

  #checkLogits(logits: Value, batch: TrainBatch): number {
    const f = this.data.findings.length;
    const b = batch.labels.length / f;
    if (logits.shape.join() !== `${b},${f}`)
      throw new Error(`trainer: the model's logits are [${logits.shape.join(", ")}], expected [${b}, ${f}]`);
    return b;
  }

  /** The compiled training step for this batch's shapes (built once per shape). */
  async stepFor(batch: TrainBatch): Promise<{ step: TrainStep; graph: Graph }> {
    const key = shapeKey(batch);
    const cached = this.#steps.get(key);
    if (cached) return cached;
    const g = new Graph();
    const out = this.model.forward(g, this.#inputs(g, batch), { training: true });
    const b = this.#checkLogits(out.logits, batch);
    const f = this.data.findings.length;
    const targets = g.input("labels.targets", [b, f]);
    const mask = g.input("labels.mask", [b, f]);
    const lc = this.config.train.loss;
    let loss = multiLabelLoss(out.logits, targets, mask, {
      kind: lc.kind,
      gamma: lc.gamma,
      alpha: lc.alpha,
      ...(this.posWeight ? { posWeight: this.posWeight } : {}),
    });
    if (out.aux) loss = add(loss, out.aux);
    const step = await compileTrainStep(loss, this.#threads);
    for (const [name, v] of step.params) {
      const p = this.params.get(name);
      if (!p) throw new Error(`trainer: the graph trains "${name}", which model.params() does not list`);
      if (v.data !== p.data)
        throw new Error(
          `trainer: graph parameter "${name}" does not use the array model.params() gives for it`,
        );
    }
    const entry = { step, graph: g };
    this.#steps.set(key, entry);
    return entry;
  }

  async #predictorFor(batch: TrainBatch): Promise<Program> {
    const key = shapeKey(batch);
    let p = this.#predictors.get(key);
    if (p) return p;
    const g = new Graph();
    const out = this.model.forward(g, this.#inputs(g, batch), { training: false });
    this.#checkLogits(out.logits, batch);
    p = await compile({ probs: sigmoid(out.logits) }, this.#threads);
    this.#predictors.set(key, p);
    return p;
  }

  /** Probabilities [N, F] and labels [N, F] over `batches`, in batch order. */
  async predict(
    batches: AsyncIterable<TrainBatch>,
  ): Promise<{ rows: number; probs: Float32Array; labels: Float32Array }> {
    const probs: Float32Array[] = [];
    const labels: Float32Array[] = [];
    for await (const batch of batches) {
      const prog = await this.#predictorFor(batch);
      const feeds: Record<string, Float32Array> = {};
      for (const [name, t] of Object.entries(batch.inputs)) feeds[name] = t.data;
      const out = await prog.run(feeds);
      probs.push(out.probs as Float32Array);
      labels.push(batch.labels);
    }
    const f = this.data.findings.length;
    const cat = (xs: Float32Array[]) => {
      const o = new Float32Array(xs.reduce((s, x) => s + x.length, 0));
      let at = 0;
      for (const x of xs) {
        o.set(x, at);
        at += x.length;
      }
      return o;
    };
    const l = cat(labels);
    return { rows: l.length / f, probs: cat(probs), labels: l };
  }

  /** Validation mean AUC over findings with both classes, and the AUC of each finding. */
  async validate(epoch: number): Promise<{ mean: number | null; perFinding: Record<string, number | null> }> {
    const { rows, probs, labels } = await this.predict(this.data.val());
    const f = this.data.findings.length;
    for (let i = 0; i < probs.length; i++)
      if (!Number.isFinite(probs[i]!))
        throw new Error(
          `trainer: non-finite validation probability after epoch ${epoch + 1} (training diverged?)`,
        );
    const m = macroAuc({ rows, cols: f, data: labels }, { rows, cols: f, data: probs });
    const perFinding: Record<string, number | null> = {};
    this.data.findings.forEach((name, j) => {
      perFinding[name] = m.perFinding[j] ?? null;
    });
    return { mean: m.mean, perFinding };
  }

  async run(
    run: RunDir,
    ck: Awaited<ReturnType<typeof readCheckpoint>> | undefined,
    opts: TrainOptions,
  ): Promise<TrainResult> {
    const c = this.config.train;
    const seed = this.config.seed;
    const sink = opts.progress === undefined ? process.stderr : opts.progress;
    const progress = sink ? new Progress(sink, c.epochs, this.data.stepsPerEpoch) : undefined;
    const early = new EarlyStopping(c.earlyStopping.patience, c.earlyStopping.minDelta);
    let state: TrainState = {
      format: STATE_FORMAT,
      epochsDone: 0,
      step: 0,
      rng: { generator: "phantom/rng xoshiro128**", seed, purpose: EPOCH_RNG_PURPOSE, nextEpoch: 0 },
      dataOrder: { seed, nextEpoch: 0 },
      earlyStopping: early.state,
      best: null,
      history: [],
      ...(this.model.describe ? { model: this.model.describe() } : {}),
    };
    if (ck) {
      restoreParams(this.params, ck.params, ck.dir);
      await restoreOptimizer(ck.dir, this.optimizer);
      state = ck.state;
      early.state = { ...ck.state.earlyStopping };
      if (this.optimizer.stepCount !== state.step)
        throw new InputError(
          `optimizer state has ${this.optimizer.stepCount} steps, state.json ${state.step}`,
          ck.dir,
        );
      const within = state.epochProgress
        ? ` and ${state.epochProgress.batches} batches of epoch ${state.epochsDone + 1}`
        : "";
      run.log(`resumed from ${ck.dir} after epoch ${state.epochsDone}${within} (step ${state.step})`);
      progress?.message(`resuming after epoch ${state.epochsDone}/${c.epochs}`);
    } else {
      run.log(
        `start: ${this.params.size} trainable tensors, ${[...this.params.values()].reduce((s, p) => s + p.data.length, 0)} weights, groups ${this.optimizer.groups.map((g) => `${g.name}(${g.params.length})`).join(" ")}`,
      );
    }
    await run.writeMetrics(state.history);
    const result = (status: TrainResult["status"]): TrainResult => ({
      status,
      runDir: run.path,
      epochsDone: state.epochsDone,
      step: state.step,
      best: state.best,
      history: state.history,
    });

    const t0 = performance.now();
    // A completed run whose config.json was given more epochs continues; an early-stopped one does not.
    while (state.finished !== "early-stopped" && state.epochsDone < c.epochs) {
      const epoch = state.epochsDone;
      const started = performance.now();
      progress?.startEpoch();
      const ctx = epochContext(seed, epoch);
      // A checkpoint written inside this epoch: its first `done.batches` are trained already.
      const done = state.epochProgress;
      let lossSum = done?.lossSum ?? 0;
      let labelledSum = done?.labelledSum ?? 0;
      let normSum = done?.normSum ?? 0;
      let steps = 0;
      let globalStep = state.step;
      const every = c.checkpointEverySteps;
      for await (const batch of this.data.train(ctx)) {
        if (done && steps < done.batches) {
          // The order is a function of (seed, epoch): replaying it skips exactly the trained batches.
          steps++;
          continue;
        }
        if (opts.signal?.aborted) {
          run.log(
            `stopped during epoch ${epoch + 1} after ${steps} batches (resumes from the last checkpoint)`,
          );
          await run.flushLog();
          return result("aborted");
        }
        const { step, graph } = await this.stepFor(batch);
        const { targets, mask, labelled } = splitLabels(batch.labels);
        const feeds: Record<string, Float32Array> = {
          ...this.model.stepFeeds?.(graph, { seed, step: globalStep }),
          "labels.targets": targets,
          "labels.mask": mask,
        };
        for (const [name, tns] of Object.entries(batch.inputs)) feeds[name] = tns.data;
        const { loss, grads } = await step.run(feeds);
        if (!Number.isFinite(loss))
          throw new Error(`trainer: loss is ${loss} at epoch ${epoch + 1}, step ${globalStep + 1}`);
        // With clipping off the norm is still measured (for the log); Infinity never scales.
        normSum += clipGradNorm(grads, c.clipGradNorm > 0 ? c.clipGradNorm : Number.POSITIVE_INFINITY);
        this.optimizer.step(grads);
        globalStep++;
        lossSum += loss * labelled;
        labelledSum += labelled;
        steps++;
        progress?.step(epoch, steps, labelledSum > 0 ? lossSum / labelledSum : 0);
        if (every > 0 && steps % every === 0 && steps < this.data.stepsPerEpoch) {
          const mid: TrainState = {
            ...state,
            step: globalStep,
            epochProgress: {
              batches: steps,
              lossSum,
              labelledSum,
              normSum,
              seconds: (done?.seconds ?? 0) + (performance.now() - started) / 1000,
            },
          };
          await writeCheckpoint(
            run.lastCheckpoint,
            { params: this.params, optimizer: this.optimizer, state: mid },
            opts.checkpointHooks,
          );
          state = mid;
        }
      }
      if (opts.signal?.aborted) {
        await run.flushLog();
        return result("aborted");
      }
      if (steps !== this.data.stepsPerEpoch)
        run.log(
          `warning: epoch ${epoch + 1} had ${steps} batches, stepsPerEpoch says ${this.data.stepsPerEpoch} (the lr schedule assumes the latter)`,
        );
      const val = await this.validate(epoch);
      if (val.mean === null)
        run.log(
          `warning: validation mean AUC undefined after epoch ${epoch + 1} (no validation finding has both classes); early stopping and best tracking skip it`,
        );
      const { improved, stop } = early.update(val.mean, epoch);
      const lr: Record<string, number> = {};
      for (const g of this.optimizer.groups) lr[g.name] = g.hyper.lr;
      const record: EpochRecord = {
        epoch: epoch + 1,
        step: globalStep,
        trainLoss: labelledSum > 0 ? lossSum / labelledSum : 0,
        gradNorm: steps > 0 ? normSum / steps : 0,
        valMeanAuc: val.mean,
        valAuc: val.perFinding,
        lr,
        seconds: (done?.seconds ?? 0) + (performance.now() - started) / 1000,
      };
      const next: TrainState = {
        ...state,
        epochsDone: epoch + 1,
        step: globalStep,
        rng: { ...state.rng, nextEpoch: epoch + 1 },
        dataOrder: { seed, nextEpoch: epoch + 1 },
        earlyStopping: { ...early.state },
        best: improved && val.mean !== null ? { epoch: epoch + 1, valMeanAuc: val.mean } : state.best,
        history: [...state.history, record],
      };
      delete next.epochProgress;
      if (stop) next.finished = "early-stopped";
      else if (epoch + 1 === c.epochs) next.finished = "completed";
      else delete next.finished;
      // best before last: a kill between the two leaves last one epoch behind, and redoing that
      // epoch rewrites the same best.
      if (improved)
        await writeCheckpoint(run.bestCheckpoint, { params: this.params, state: next }, opts.checkpointHooks);
      await writeCheckpoint(
        run.lastCheckpoint,
        { params: this.params, optimizer: this.optimizer, state: next },
        opts.checkpointHooks,
      );
      state = next;
      await run.writeMetrics(state.history);
      run.log(
        `epoch ${record.epoch}/${c.epochs} step ${record.step} loss ${record.trainLoss.toFixed(6)} val_mean_auc ${record.valMeanAuc ?? "undefined"}${improved ? " (best)" : ""} ${record.seconds.toFixed(2)}s`,
      );
      progress?.endEpoch(record, steps);
      if (stop) {
        run.log(
          `early stopping: no improvement > ${c.earlyStopping.minDelta} for ${c.earlyStopping.patience} epochs (best epoch ${state.best?.epoch ?? "none"})`,
        );
        progress?.message(
          `early stopping after epoch ${record.epoch} (best epoch ${state.best?.epoch ?? "none"})`,
        );
      }
      await run.flushLog();
    }
    const status = state.finished === "early-stopped" ? "early-stopped" : "completed";
    const last = state.history[state.history.length - 1];
    await run.writeSummary({
      status,
      epochs: state.epochsDone,
      steps: state.step,
      findings: this.data.findings,
      best: state.best,
      final: last ? { epoch: last.epoch, trainLoss: last.trainLoss, valMeanAuc: last.valMeanAuc } : null,
      trainableWeights: [...this.params.values()].reduce((s, p) => s + p.data.length, 0),
      posWeight: this.posWeight ? Array.from(this.posWeight) : null,
      secondsThisProcess: (performance.now() - t0) / 1000,
      checkpoints: { last: run.lastCheckpoint, best: state.best ? run.bestCheckpoint : null },
    });
    run.log(`finished: ${status}`);
    await run.flushLog();
    return result(status);
  }
}
