// Which modules an adapter wraps, chosen by name with PEFT's rules (tuners_utils
// `check_target_module_exists`): a string is a regular expression that must match the whole
// dotted module name; a list matches a name equal to an entry or ending with "." + entry.
import type { Module } from "../nn/index.js";

export type TargetSpec = string | readonly string[];

/** PEFT's shorthand for "every Linear except the output head". */
export const ALL_LINEAR = "all-linear";

export function matchesTarget(spec: TargetSpec, name: string): boolean {
  if (typeof spec === "string") return new RegExp(`^(?:${spec})$`).test(name);
  return spec.some((t) => name === t || name.endsWith(`.${t}`));
}

/** Names of the modules of `root` that `spec` selects and `accept` can wrap, in tree order. */
export function findTargets(
  root: Module,
  spec: TargetSpec,
  accept: (m: Module) => boolean,
  exclude: readonly string[] = [],
): string[] {
  const out: string[] = [];
  const excluded = (name: string) =>
    exclude.some((e) => name === e || name.startsWith(`${e}.`) || name.endsWith(`.${e}`));
  for (const [name, m] of root.namedModules()) {
    if (name === "" || excluded(name)) continue;
    const hit = spec === ALL_LINEAR ? true : matchesTarget(spec, name);
    if (hit && accept(m)) out.push(name);
  }
  return out;
}
