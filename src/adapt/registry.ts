// The adapter methods by name (PEFT's register_peft_method): each method folder registers one
// entry; `applyMethod`, `saveAdapter` and `loadAdapter` dispatch on it. A new method is a new
// folder, one `registerAdapter` call and one row in the conformance matrix.
import { InputError } from "../errors.js";
import type { Module, Parameter } from "../nn/index.js";
import type { ParamSummary } from "./fraction.js";

export interface AdapterMethod<C = unknown> {
  /** Lower-case method name (`applyMethod({method})`). */
  name: string;
  /** `peft_type` written to adapter_config.json. */
  peftType: string;
  /** A validated config from user options (camelCase) or an adapter_config.json (PEFT names). */
  configFrom(raw: Readonly<Record<string, unknown>>, source?: string): C;
  /** Applies the method to `model` (wraps layers, sets trainability) and summarises parameters. */
  inject(model: Module, config: C, adapterName: string): ParamSummary;
  /** The config as adapter_config.json fields. */
  toJson(config: C): Record<string, unknown>;
  /** Saved tensors by file key (after `inject`), sharing the model's parameters. */
  tensors(model: Module, config: C, adapterName: string): Map<string, Parameter>;
}

const methods = new Map<string, AdapterMethod>();

export function registerAdapter<C>(method: AdapterMethod<C>): void {
  if (!/^[a-z][a-z0-9_]*$/.test(method.name))
    throw new Error(`adapter method name "${method.name}" must be lower case`);
  if (methods.has(method.name)) throw new Error(`adapter method "${method.name}" registered twice`);
  for (const m of methods.values())
    if (m.peftType === method.peftType) throw new Error(`peft_type ${method.peftType} registered twice`);
  methods.set(method.name, method as AdapterMethod);
}

export function adapterMethod(name: string): AdapterMethod {
  const m = methods.get(name);
  if (!m)
    throw new InputError(`unknown adaptation method "${name}" (known: ${adapterMethodNames().join(", ")})`);
  return m;
}

export function adapterMethodByPeftType(peftType: string, source?: string): AdapterMethod {
  for (const m of methods.values()) if (m.peftType === peftType) return m;
  throw new InputError(
    `peft_type "${peftType}" is not supported (known: ${[...methods.values()].map((m) => m.peftType).join(", ")})`,
    source,
  );
}

export function adapterMethodNames(): string[] {
  return [...methods.keys()];
}

/** What was applied to a model, per adapter name (PEFT's `peft_config`), for saving. */
const applied = new WeakMap<Module, Map<string, { method: AdapterMethod; config: unknown }>>();

export function recordApplied(
  model: Module,
  adapterName: string,
  method: AdapterMethod,
  config: unknown,
): void {
  const m = applied.get(model) ?? new Map();
  if (m.has(adapterName)) throw new InputError(`the model already has an adapter named "${adapterName}"`);
  m.set(adapterName, { method, config });
  applied.set(model, m);
}

export function appliedAdapter(
  model: Module,
  adapterName: string,
): { method: AdapterMethod; config: unknown } {
  const a = applied.get(model)?.get(adapterName);
  if (!a) throw new InputError(`the model has no adapter named "${adapterName}"`);
  return a;
}
