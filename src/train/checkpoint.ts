/**
 * Training checkpoints: a folder holding the trainable weights (params.safetensors), the optimizer
 * state (optimizer.safetensors, with the scheduler step) and the loop state (state.json: counters,
 * data order, RNG, early stopping, best metric, history).
 *
 * A checkpoint folder is replaced whole: the new one is written under a temporary name, the old
 * one renamed aside, the new one renamed into place, the old one removed. A kill at any moment
 * leaves either the previous or the new checkpoint complete (a folder counts only once its
 * state.json, written last, exists); `readCheckpoint` also finds the set-aside folder if the kill
 * fell between the two renames.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { loadOptimizerState, type Optimizer, saveOptimizerState } from "../engine/optim/index.js";
import { InputError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic.js";
import { readSafetensors, type Tensor, writeSafetensors } from "../io/safetensors/index.js";
import type { EarlyStoppingState } from "./early-stopping.js";
import type { ParamRef } from "./trainable.js";

export const STATE_FORMAT = "medadapt.train-state/1";
const PARAMS = "params.safetensors";
const OPTIMIZER = "optimizer.safetensors";
const STATE = "state.json";

/** One epoch's line of metrics.jsonl. */
export interface EpochRecord {
  /** 1-based, as printed. */
  epoch: number;
  /** Optimizer steps done at the end of the epoch. */
  step: number;
  /** Mean training loss over the epoch's labelled entries. */
  trainLoss: number;
  /** Mean global gradient L2 norm before clipping. */
  gradNorm: number;
  valMeanAuc: number | null;
  valAuc: Record<string, number | null>;
  /** lr of each optimizer group after the epoch's last step. */
  lr: Record<string, number>;
  seconds: number;
}

export interface TrainState {
  format: typeof STATE_FORMAT;
  /** Completed epochs; the next epoch to run is this 0-based index. */
  epochsDone: number;
  /** Completed optimizer steps (= the scheduler's step). */
  step: number;
  /**
   * Randomness: every epoch's stream (and the data order) is derived from (seed, epoch) alone by
   * phantom's xoshiro128** `Rng.stream(seed, epoch, purpose)`, so this is the whole RNG state.
   */
  rng: { generator: "phantom/rng xoshiro128**"; seed: number; purpose: number; nextEpoch: number };
  dataOrder: { seed: number; nextEpoch: number };
  earlyStopping: EarlyStoppingState;
  /** Best validation mean AUC so far (1-based epoch). */
  best: { epoch: number; valMeanAuc: number } | null;
  history: EpochRecord[];
  /**
   * Set when the checkpoint was written inside epoch `epochsDone` (train.checkpointEverySteps):
   * its first `batches` are trained and the epoch's running sums so far.
   */
  epochProgress?: { batches: number; lossSum: number; labelledSum: number; normSum: number; seconds: number };
  /** Why the run ended, once it has. */
  finished?: "completed" | "early-stopped";
  model?: Record<string, unknown>;
}

// biome-ignore lint/suspicious/noExplicitAny: any optimizer's hyperparameters
type AnyOptimizer = Optimizer<any>;

export interface SaveHooks {
  /** Called after each file is complete (tests inject failures here). */
  afterWrite?(file: string): void | Promise<void>;
}

/** Writes a checkpoint folder at `dir`, replacing any previous one as a whole. */
export async function writeCheckpoint(
  dir: string,
  ck: { params: ReadonlyMap<string, ParamRef>; optimizer?: AnyOptimizer; state: TrainState },
  hooks: SaveHooks = {},
): Promise<void> {
  await replaceDir(dir, async (tmp) => {
    const tensors = new Map<string, Tensor>();
    for (const [name, p] of ck.params) tensors.set(name, { dtype: "F32", shape: [...p.shape], data: p.data });
    await writeSafetensors(join(tmp, PARAMS), tensors, { format: "medadapt.params/1" });
    await hooks.afterWrite?.(PARAMS);
    if (ck.optimizer) {
      await saveOptimizerState(join(tmp, OPTIMIZER), ck.optimizer);
      await hooks.afterWrite?.(OPTIMIZER);
    }
    await writeFileAtomic(join(tmp, STATE), `${JSON.stringify(ck.state, null, 2)}\n`);
    await hooks.afterWrite?.(STATE);
  });
}

async function replaceDir(target: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  const parent = dirname(target);
  const base = basename(target);
  await mkdir(parent, { recursive: true });
  // Leftovers of a killed writer (only one trainer writes a run folder).
  for (const name of await readdir(parent)) {
    if (name.startsWith(`.${base}.tmp-`)) await rm(join(parent, name), { recursive: true, force: true });
  }
  const tag = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const tmp = join(parent, `.${base}.tmp-${tag}`);
  await mkdir(tmp);
  try {
    await fill(tmp);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  const old = join(parent, `.${base}.old-${tag}`);
  const hadOld = await exists(target);
  if (hadOld) await rename(target, old);
  await rename(tmp, target);
  if (hadOld) await rm(old, { recursive: true, force: true });
  for (const name of await readdir(parent)) {
    if (name.startsWith(`.${base}.old-`)) await rm(join(parent, name), { recursive: true, force: true });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** The complete checkpoint folder for `dir`: itself, or the one set aside by a swap a kill interrupted. */
export async function findCheckpoint(dir: string): Promise<string | undefined> {
  if (await exists(join(dir, STATE))) return dir;
  const parent = dirname(dir);
  const base = basename(dir);
  let names: string[] = [];
  try {
    names = await readdir(parent);
  } catch {
    return undefined;
  }
  for (const name of names) {
    if (name.startsWith(`.${base}.old-`) && (await exists(join(parent, name, STATE))))
      return join(parent, name);
  }
  return undefined;
}

export interface LoadedCheckpoint {
  dir: string;
  state: TrainState;
  params: Map<string, Tensor>;
}

/** Reads the checkpoint at `dir` (see `findCheckpoint`); InputError when there is none or it is damaged. */
export async function readCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const found = await findCheckpoint(dir);
  if (!found) throw new InputError("no complete checkpoint here (state.json missing)", dir);
  let state: TrainState;
  try {
    state = JSON.parse(await readFile(join(found, STATE), "utf8"));
  } catch (err) {
    throw new InputError(`state.json is not valid JSON (${(err as Error).message})`, found);
  }
  if (state?.format !== STATE_FORMAT) throw new InputError(`state.json is not a ${STATE_FORMAT} file`, found);
  const file = await readSafetensors(join(found, PARAMS));
  const params = new Map<string, Tensor>();
  try {
    for (const name of file.names()) params.set(name, await file.tensor(name));
  } finally {
    await file.close();
  }
  return { dir: found, state, params };
}

/**
 * Copies saved weights into the live arrays (in place, so compiled programs keep seeing them).
 * Every name and size is checked before anything is written.
 */
export function restoreParams(
  into: ReadonlyMap<string, ParamRef>,
  saved: ReadonlyMap<string, Tensor>,
  source: string,
): void {
  const missing = [...into.keys()].filter((n) => !saved.has(n));
  const extra = [...saved.keys()].filter((n) => !into.has(n));
  if (missing.length > 0 || extra.length > 0)
    throw new InputError(
      `checkpoint weights differ from the model's: missing [${missing.slice(0, 5).join(", ")}], unknown [${extra.slice(0, 5).join(", ")}]`,
      source,
    );
  for (const [name, p] of into) {
    const t = saved.get(name)!;
    if (t.dtype !== "F32" || t.data.length !== p.data.length || t.shape.join() !== p.shape.join())
      throw new InputError(
        `weight "${name}" is ${t.dtype} [${t.shape.join(", ")}] in the checkpoint, the model has F32 [${p.shape.join(", ")}]`,
        source,
      );
  }
  for (const [name, p] of into) p.data.set(saved.get(name)!.data as Float32Array);
}

/** Restores the optimizer state saved with a checkpoint. */
export async function restoreOptimizer(dir: string, opt: AnyOptimizer): Promise<void> {
  await loadOptimizerState(join(dir, OPTIMIZER), opt);
}
