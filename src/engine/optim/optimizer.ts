/**
 * What every optimizer shares: parameter groups, the step counter and schedule, per-parameter
 * state, gradient checks, and state_dict-style save/load. Subclasses supply only the update rule.
 */
import { InputError } from "../../errors.js";
import type { Tensor } from "../../io/safetensors/index.js";
import { assignGroups, type GroupSelector, type ParamGroup, type TensorMap } from "./groups.js";
import type { Schedule } from "./schedule.js";

export interface BaseHyper {
  lr: number;
  weightDecay: number;
}

/** State of one parameter, created at its first update (as torch does). */
export interface ParamState {
  /** Updates this parameter has received (torch's per-parameter `step`). */
  step: number;
  /** Named Float32 buffers of the parameter's length (torch's names: exp_avg, momentum_buffer, …). */
  buffers: Record<string, Float32Array>;
}

/** The buffer `name` of `s`, created as zeros of length `n` on first use. */
export function bufferOf(s: ParamState, name: string, n: number): Float32Array {
  let b = s.buffers[name];
  if (!b) {
    b = new Float32Array(n);
    s.buffers[name] = b;
  }
  return b;
}

/** Refuses option names the optimizer does not have (a typo would otherwise be ignored). */
function checkKeys(given: object, known: object, source: string): void {
  for (const k of Object.keys(given)) {
    if (!Object.hasOwn(known, k)) {
      const options = Object.keys(known).join(", ");
      throw new InputError(`unknown option "${k}" (options: ${options}, groups, schedule)`, source);
    }
  }
}

export type OptimizerOptions<H> = Partial<H> & {
  /** Groups in priority order; parameters no group selects keep the top-level settings. */
  groups?: readonly (GroupSelector & Partial<H>)[];
  /** Multiplies each group's initial lr before every step. */
  schedule?: Schedule;
};

export const STATE_FORMAT = "medadapt.optimizer/1";

/** The JSON half of a saved optimizer state. */
export interface OptimizerStateConfig {
  format: typeof STATE_FORMAT;
  kind: string;
  /** Completed steps (the next step evaluates the schedule at this index). */
  stepCount: number;
  groups: { name: string; params: string[]; initialLr: number; hyper: Record<string, unknown> }[];
  /** Per-parameter step of every parameter that has state. */
  steps: Record<string, number>;
}

/** Config plus tensors named `<buffer>.<parameter>`, e.g. `exp_avg.head.weight`. */
export interface OptimizerStateDict {
  config: OptimizerStateConfig;
  tensors: Map<string, Tensor>;
}

export abstract class Optimizer<H extends BaseHyper> {
  abstract readonly kind: string;
  readonly params: TensorMap;
  readonly groups: ParamGroup<H>[];
  readonly schedule: Schedule | undefined;
  /** Completed calls to `step`. */
  stepCount = 0;
  protected readonly state = new Map<string, ParamState>();

  constructor(params: TensorMap, defaults: H, options: OptimizerOptions<H>) {
    const { groups = [], schedule, ...top } = options;
    checkKeys(top, defaults, "optimizer options");
    groups.forEach((g, i) => {
      const { name, names, match, ...overrides } = g;
      checkKeys(overrides, defaults, `optimizer group "${name ?? `group${i}`}"`);
    });
    const base = { ...defaults };
    for (const [k, v] of Object.entries(top)) if (v !== undefined) (base as Record<string, unknown>)[k] = v;
    this.params = params;
    this.groups = assignGroups([...params.keys()], base as H, groups);
    for (const g of this.groups) this.validate(g.hyper, `optimizer group "${g.name}"`);
    this.#grouped = new Set(this.groups.flatMap((g) => g.params));
    this.schedule = schedule;
  }

  /** Names the groups were built from; a parameter added to the map later belongs to none. */
  readonly #grouped: Set<string>;

  /** Throws InputError for hyperparameters torch would refuse. */
  protected abstract validate(h: H, source: string): void;
  /** Buffers a parameter with state must have under `h` (used to validate loaded state). */
  protected abstract bufferNames(h: H): string[];
  /** Updates `p` in place from `g`; `s.step` already counts this update. */
  protected abstract update(p: Float32Array, g: Float32Array, s: ParamState, h: H): void;

  /**
   * One update. Parameters without a gradient in `grads` are skipped entirely (no decay, no state
   * change), as torch skips parameters whose `.grad` is None.
   */
  step(grads: TensorMap): void {
    for (const [name, g] of grads) {
      const p = this.params.get(name);
      if (!p) throw new RangeError(`optimizer: gradient for unknown parameter "${name}"`);
      if (!this.#grouped.has(name)) {
        throw new RangeError(`optimizer: parameter "${name}" was added after the optimizer was created`);
      }
      if (g.length !== p.length) {
        throw new RangeError(
          `optimizer: gradient "${name}" has ${g.length} values, the parameter ${p.length}`,
        );
      }
    }
    if (this.schedule) this.applySchedule(this.stepCount);
    for (const group of this.groups) {
      for (const name of group.params) {
        const g = grads.get(name);
        if (!g) continue;
        let s = this.state.get(name);
        if (!s) {
          s = { step: 0, buffers: {} };
          this.state.set(name, s);
        }
        s.step += 1;
        this.update(this.params.get(name)!, g, s, group.hyper);
      }
    }
    this.stepCount += 1;
  }

  /** Sets every group's lr to its initial lr × schedule(step). */
  applySchedule(step: number): void {
    if (!this.schedule) return;
    const f = this.schedule(step);
    for (const g of this.groups) g.hyper.lr = g.initialLr * f;
  }

  /** Sets the initial lr (and the current lr) of one group, or of all groups. */
  setLr(lr: number, group?: string): void {
    if (!(lr >= 0)) throw new InputError(`learning rate must be ≥ 0, got ${lr}`, "optimizer");
    for (const g of this.#select(group)) {
      g.initialLr = lr;
      g.hyper.lr = lr;
    }
  }

  /** The lr in effect for the next step (before the schedule is applied to it). */
  lr(group?: string): number {
    return this.#select(group)[0]!.hyper.lr;
  }

  #select(group: string | undefined): ParamGroup<H>[] {
    if (group === undefined) return this.groups;
    const g = this.groups.find((x) => x.name === group);
    if (!g)
      throw new InputError(
        `no group named "${group}" (groups: ${this.groups.map((x) => x.name).join(", ")})`,
        "optimizer",
      );
    return [g];
  }

  /** A copy of the state: JSON config plus Float32 tensors. */
  stateDict(): OptimizerStateDict {
    const tensors = new Map<string, Tensor>();
    const steps: Record<string, number> = {};
    for (const [name, s] of this.state) {
      steps[name] = s.step;
      for (const [buf, data] of Object.entries(s.buffers)) {
        tensors.set(`${buf}.${name}`, { dtype: "F32", shape: [data.length], data: data.slice() });
      }
    }
    const config: OptimizerStateConfig = {
      format: STATE_FORMAT,
      kind: this.kind,
      stepCount: this.stepCount,
      groups: this.groups.map((g) => ({
        name: g.name,
        params: g.params.slice(),
        initialLr: g.initialLr,
        hyper: JSON.parse(JSON.stringify(g.hyper)),
      })),
      steps,
    };
    return { config, tensors };
  }

  /**
   * Restores a state saved by `stateDict` (hyperparameters included, as torch's
   * load_state_dict does). Everything is checked before anything changes; a mismatch throws
   * InputError naming `source` and the problem.
   */
  loadStateDict(sd: OptimizerStateDict, source = "optimizer state"): void {
    const { config, tensors } = sd;
    const fail = (problem: string): never => {
      throw new InputError(problem, source);
    };
    if (config?.format !== STATE_FORMAT) fail(`not a ${STATE_FORMAT} optimizer state`);
    if (config.kind !== this.kind) fail(`optimizer state is for ${config.kind}, not ${this.kind}`);
    if (!Number.isSafeInteger(config.stepCount) || config.stepCount < 0)
      fail(`bad stepCount ${config.stepCount}`);
    if (!Array.isArray(config.groups) || config.groups.length !== this.groups.length) {
      fail(
        `saved state has ${config.groups?.length} parameter groups, this optimizer ${this.groups.length} (${this.groups.map((g) => g.name).join(", ")})`,
      );
    }
    const hypers: H[] = [];
    this.groups.forEach((g, i) => {
      const saved = config.groups[i]!;
      if (saved.name !== g.name)
        fail(`group ${i} is "${saved.name}" in the saved state but "${g.name}" here`);
      const here = new Set(g.params);
      const there = new Set(saved.params);
      const missing = g.params.filter((n) => !there.has(n));
      const extra = saved.params.filter((n) => !here.has(n));
      if (missing.length > 0 || extra.length > 0) {
        fail(
          `group "${g.name}" parameters differ: saved state lacks [${missing.slice(0, 5).join(", ")}], has unknown [${extra.slice(0, 5).join(", ")}]`,
        );
      }
      const hyper = { ...g.hyper, ...saved.hyper } as H;
      this.validate(hyper, `${source}: group "${g.name}"`);
      if (!(saved.initialLr >= 0)) fail(`group "${g.name}" has bad initialLr ${saved.initialLr}`);
      hypers.push(hyper);
    });
    const groupOf = new Map<string, number>();
    this.groups.forEach((g, i) => {
      for (const n of g.params) groupOf.set(n, i);
    });
    const state = new Map<string, ParamState>();
    const used = new Set<string>();
    for (const [name, step] of Object.entries(config.steps ?? {})) {
      const p = this.params.get(name);
      if (!p) fail(`state for unknown parameter "${name}"`);
      if (!Number.isSafeInteger(step) || step < 0) fail(`bad step ${step} for "${name}"`);
      const buffers: Record<string, Float32Array> = {};
      for (const buf of this.bufferNames(hypers[groupOf.get(name)!]!)) {
        const key = `${buf}.${name}`;
        const t = tensors.get(key);
        if (!t) fail(`missing tensor "${key}"`);
        if (t!.dtype !== "F32") fail(`tensor "${key}" is ${t!.dtype}, expected F32`);
        if (t!.data.length !== p!.length || t!.shape.length !== 1) {
          fail(
            `tensor "${key}" has shape [${t!.shape.join(", ")}] but parameter "${name}" has ${p!.length} values`,
          );
        }
        buffers[buf] = Float32Array.from(t!.data as Float32Array);
        used.add(key);
      }
      state.set(name, { step, buffers });
    }
    const unused = [...tensors.keys()].filter((k) => !used.has(k));
    if (unused.length > 0)
      fail(`unexpected tensors [${unused.slice(0, 5).join(", ")}]${unused.length > 5 ? " …" : ""}`);
    // All checks passed: commit.
    this.groups.forEach((g, i) => {
      g.hyper = hypers[i]!;
      g.initialLr = config.groups[i]!.initialLr;
    });
    this.state.clear();
    for (const [k, v] of state) this.state.set(k, v);
    this.stepCount = config.stepCount;
  }
}
