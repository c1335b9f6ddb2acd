/**
 * Checkers for parsed JSON of a known shape. Each returns the value typed, or throws an
 * InputError naming the source file and the key path ("runs[2].test.ci must be ..."), so a
 * hand-edited or truncated results file fails with one line instead of a broken report.
 * Unknown keys are allowed: the formats they check only ever gain optional fields.
 */
import { InputError } from "../errors.js";

export type Check<T> = (value: unknown, path: string) => T;

/** Checkers bound to one source file, so that every message names it. */
export function shapeChecks(source: string) {
  const fail = (path: string, problem: string, value: unknown): never => {
    throw new InputError(`${path} ${problem}, got ${show(value)}`, source);
  };
  const number: Check<number> = (v, path) =>
    typeof v === "number" && Number.isFinite(v) ? v : fail(path, "must be a finite number", v);
  const count: Check<number> = (v, path) =>
    Number.isInteger(v) && (v as number) >= 0
      ? (v as number)
      : fail(path, "must be a non-negative integer", v);
  const string: Check<string> = (v, path) => (typeof v === "string" ? v : fail(path, "must be a string", v));
  const nullable =
    <T>(check: Check<T>): Check<T | null> =>
    (v, path) =>
      v === null ? null : check(v, path);
  const optional =
    <T>(check: Check<T>): Check<T | undefined> =>
    (v, path) =>
      v === undefined ? undefined : check(v, path);
  const array =
    <T>(check: Check<T>): Check<T[]> =>
    (v, path) =>
      Array.isArray(v) ? v.map((x, i) => check(x, `${path}[${i}]`)) : fail(path, "must be a list", v);
  const record: Check<Record<string, unknown>> = (v, path) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : fail(path, "must be an object", v);
  /** An object whose keys are data (finding names): every value passes `check`. */
  const mapOf =
    <T>(check: Check<T>): Check<Record<string, T>> =>
    (v, path) => {
      const obj = record(v, path);
      const out: Record<string, T> = {};
      for (const [k, x] of Object.entries(obj)) out[k] = check(x, `${path}[${JSON.stringify(k)}]`);
      return out;
    };
  /** [lo, hi] with lo ≤ hi. */
  const interval: Check<[number, number]> = (v, path) => {
    if (!Array.isArray(v) || v.length !== 2) return fail(path, "must be a [low, high] pair", v);
    const lo = number(v[0], `${path}[0]`);
    const hi = number(v[1], `${path}[1]`);
    return lo <= hi ? [lo, hi] : fail(path, "must have low ≤ high", v);
  };
  const literal =
    <T extends string | number>(expected: T): Check<T> =>
    (v, path) =>
      v === expected ? expected : fail(path, `must be ${JSON.stringify(expected)}`, v);
  return { fail, number, count, string, nullable, optional, array, record, mapOf, interval, literal };
}

function show(v: unknown): string {
  if (v === undefined) return "nothing (missing)";
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
