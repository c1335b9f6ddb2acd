/**
 * A small declarative schema for JSON/YAML configs: defaults, types, ranges, allowed values and
 * unknown-key detection, with messages that name the key path ("train.lr must be > 0, got -1").
 */

export type FieldSpec =
  | {
      type: "number";
      default?: number;
      integer?: boolean;
      gt?: number;
      min?: number;
      max?: number;
      lt?: number;
    }
  | { type: "string"; default?: string; oneOf?: readonly string[]; nonEmpty?: boolean }
  | { type: "boolean"; default?: boolean }
  | { type: "array"; items: FieldSpec; default?: unknown[]; minItems?: number; maxItems?: number }
  | { type: "object"; fields: Readonly<Record<string, FieldSpec>>; open?: boolean; optional?: boolean }
  /** Any JSON object, passed through unchecked (sections another layer validates). */
  | { type: "record"; default?: Record<string, unknown>; optional?: boolean }
  | { type: "regex"; default?: string };

/** Validates `value` against `spec`, filling defaults; problems are appended to `errors`. */
export function resolve(spec: FieldSpec, value: unknown, path: string, errors: string[]): unknown {
  const where = path === "" ? "the config" : path;
  if (value === undefined) {
    if (spec.type === "object") return spec.optional ? undefined : resolve(spec, {}, path, errors);
    if (spec.type === "record" && spec.optional) return undefined;
    if ("default" in spec && spec.default !== undefined) return structuredClone(spec.default);
    errors.push(`${where} is required`);
    return undefined;
  }
  switch (spec.type) {
    case "number": {
      if (typeof value !== "number" || !Number.isFinite(value)) {
        errors.push(`${where} must be a finite number, got ${show(value)}`);
        return value;
      }
      if (spec.integer && !Number.isInteger(value)) errors.push(`${where} must be an integer, got ${value}`);
      if (spec.gt !== undefined && !(value > spec.gt))
        errors.push(`${where} must be > ${spec.gt}, got ${value}`);
      if (spec.min !== undefined && !(value >= spec.min))
        errors.push(`${where} must be ≥ ${spec.min}, got ${value}`);
      if (spec.lt !== undefined && !(value < spec.lt))
        errors.push(`${where} must be < ${spec.lt}, got ${value}`);
      if (spec.max !== undefined && !(value <= spec.max))
        errors.push(`${where} must be ≤ ${spec.max}, got ${value}`);
      return value;
    }
    case "string": {
      if (typeof value !== "string") {
        errors.push(`${where} must be a string, got ${show(value)}`);
        return value;
      }
      if (spec.oneOf && !spec.oneOf.includes(value))
        errors.push(`${where} must be one of ${spec.oneOf.map((s) => `"${s}"`).join(", ")}, got "${value}"`);
      if (spec.nonEmpty && value === "") errors.push(`${where} must not be empty`);
      return value;
    }
    case "regex": {
      if (typeof value !== "string") {
        errors.push(`${where} must be a regular expression string, got ${show(value)}`);
        return value;
      }
      try {
        new RegExp(value);
      } catch (err) {
        errors.push(`${where} is not a valid regular expression (${(err as Error).message})`);
      }
      return value;
    }
    case "boolean":
      if (typeof value !== "boolean") errors.push(`${where} must be true or false, got ${show(value)}`);
      return value;
    case "array": {
      if (!Array.isArray(value)) {
        errors.push(`${where} must be a list, got ${show(value)}`);
        return value;
      }
      if (spec.minItems !== undefined && value.length < spec.minItems)
        errors.push(`${where} must have at least ${spec.minItems} item(s), got ${value.length}`);
      if (spec.maxItems !== undefined && value.length > spec.maxItems)
        errors.push(`${where} must have at most ${spec.maxItems} item(s), got ${value.length}`);
      return value.map((v, i) => resolve(spec.items, v, `${path}[${i}]`, errors));
    }
    case "record":
      if (!isPlainObject(value)) {
        errors.push(`${where} must be an object, got ${show(value)}`);
        return value;
      }
      return structuredClone(value);
    case "object": {
      if (!isPlainObject(value)) {
        errors.push(`${where} must be an object, got ${show(value)}`);
        return value;
      }
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        if (Object.hasOwn(spec.fields, k)) continue;
        if (spec.open) {
          out[k] = structuredClone(v);
          continue;
        }
        const near = closest(k, Object.keys(spec.fields));
        errors.push(
          `${join(path, k)} is not a known key${near ? ` (did you mean "${join(path, near)}"?)` : ` (known: ${Object.keys(spec.fields).join(", ")})`}`,
        );
      }
      for (const [k, fs] of Object.entries(spec.fields)) {
        const r = resolve(fs, (value as Record<string, unknown>)[k], join(path, k), errors);
        if (r !== undefined) out[k] = r;
      }
      return out;
    }
  }
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return `the string "${v}"`;
  return String(v);
}

/** The known key nearest to `key` by edit distance, if it is plausibly a typo of it. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return bestD <= Math.max(1, Math.floor(key.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
