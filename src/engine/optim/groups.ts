/**
 * Parameters, gradients and parameter groups.
 *
 * Parameters and gradients are `Map<string, Float32Array>` keyed by parameter name (the runtime
 * returns gradients by name; a Map keeps insertion order and has no prototype keys to trip on).
 * A group selects parameters by explicit names and/or a predicate and overrides any
 * hyperparameter, e.g. LoRA factors at lr 1e-4 / wd 1e-5 and the head at lr 1e-3 / wd 1e-4.
 */
import { InputError } from "../../errors.js";

/** Parameter or gradient values by name, updated in place by the optimizers. */
export type TensorMap = Map<string, Float32Array>;

export interface GroupSelector {
  /** Group name, used in saved state and messages (default `group<i>`). */
  name?: string;
  /** Parameters by exact name; an unknown name is an error. */
  names?: readonly string[];
  /** Parameters whose name passes the predicate or matches the pattern. */
  match?: ((name: string) => boolean) | RegExp;
}

/** A group as the optimizer holds it: resolved members and complete hyperparameters. */
export interface ParamGroup<H> {
  name: string;
  params: string[];
  /** Current hyperparameters; `lr` is the scheduled rate in effect for the next step. */
  hyper: H;
  /** The lr the schedule multiplies (torch's `initial_lr`). */
  initialLr: number;
}

/** Name of the group holding parameters that no selector picked. */
export const DEFAULT_GROUP = "default";

/**
 * Splits `paramNames` into groups: each parameter joins the first group that selects it; the
 * rest form a last group named "default" with the optimizer's defaults (omitted when empty).
 */
export function assignGroups<H extends { lr: number }>(
  paramNames: readonly string[],
  defaults: H,
  specs: readonly (GroupSelector & Partial<H>)[],
): ParamGroup<H>[] {
  const known = new Set(paramNames);
  const taken = new Set<string>();
  const groups: ParamGroup<H>[] = [];
  const seenNames = new Set<string>();
  specs.forEach((spec, i) => {
    const { name = `group${i}`, names, match, ...overrides } = spec;
    const source = `optimizer group "${name}"`;
    if (seenNames.has(name) || name === DEFAULT_GROUP)
      throw new InputError("duplicate or reserved group name", source);
    seenNames.add(name);
    if (names === undefined && match === undefined)
      throw new InputError("selects nothing: give names or match", source);
    for (const n of names ?? []) if (!known.has(n)) throw new InputError(`no parameter named "${n}"`, source);
    const explicit = new Set(names ?? []);
    const test = match instanceof RegExp ? (n: string) => match.test(n) : match;
    const params = paramNames.filter((n) => !taken.has(n) && (explicit.has(n) || test?.(n) === true));
    for (const n of params) taken.add(n);
    const hyper = { ...defaults, ...(stripUndefined(overrides) as Partial<H>) };
    groups.push({ name, params, hyper, initialLr: hyper.lr });
  });
  const rest = paramNames.filter((n) => !taken.has(n));
  if (rest.length > 0)
    groups.push({ name: DEFAULT_GROUP, params: rest, hyper: { ...defaults }, initialLr: defaults.lr });
  return groups;
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
