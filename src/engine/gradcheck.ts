// Checks a graph's forward values against a reference and its gradients against central finite
// differences (tinygrad's helper_test_op habit: one checker for every op).
import { Rng } from "../random/rng.js";
import { grad } from "./autodiff.js";
import { type AnyTypedArray, type DType, typedArray } from "./ir/dtype.js";
import { Graph, type Shape, sizeOf, type Value } from "./ir/graph.js";
import { cast, mul } from "./ops/elementwise.js";
import { reduceSum } from "./ops/reduce.js";
import { compile } from "./runtime/program.js";

export interface CheckInput {
  shape: Shape;
  /** Values (default: seeded standard normal). */
  data?: ArrayLike<number>;
  dtype?: DType;
  /** Whether to check the gradient for this input (default: true for float inputs). */
  grad?: boolean;
}

export interface GradCheckOptions {
  /** Float dtype of the inputs without their own dtype (default float64). */
  dtype?: "float32" | "float64";
  /** Finite-difference step (default 1e-6 for float64, 1e-2 for float32). */
  eps?: number;
  rtol?: number;
  atol?: number;
  /** Forward reference over the inputs' values (as float64); compared with the output. */
  reference?: (inputs: Record<string, Float64Array>) => ArrayLike<number>;
  seed?: number;
  /**
   * ORT graph optimisation level (default "basic": ORT's float-only fusions, e.g. QuickGelu,
   * fail on float64 graphs at level "all").
   */
  optimization?: "disabled" | "basic" | "extended" | "all";
}

export interface GradCheckReport {
  output: Float64Array;
  /** Largest |analytic − numeric| / (atol + rtol·|numeric|) over all checked gradients (≤ 1 passes). */
  worstGrad: number;
  /** The same measure for the forward reference, when given. */
  worstForward: number;
  failures: string[];
}

/** Seeded standard-normal numbers from the shared `Rng`, so checks and benchmarks are reproducible. */
export function randn(n: number, seed = 1): Float64Array {
  const rng = new Rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

/**
 * Builds `build(inputs)` in a fresh graph, compares its output with `reference` (when given) and
 * the gradient of Σ(output · R) (R fixed random weights) for each float input with central
 * finite differences. Returns a report; `failures` is empty when everything is within tolerance.
 */
export async function gradCheck(
  inputs: Record<string, CheckInput>,
  build: (x: Record<string, Value>) => Value,
  opts: GradCheckOptions = {},
): Promise<GradCheckReport> {
  const fdtype = opts.dtype ?? "float64";
  const eps = opts.eps ?? (fdtype === "float64" ? 1e-6 : 1e-2);
  const rtol = opts.rtol ?? (fdtype === "float64" ? 1e-5 : 2e-2);
  const atol = opts.atol ?? (fdtype === "float64" ? 1e-7 : 2e-3);
  const g = new Graph();
  const vals: Record<string, Value> = {};
  const data: Record<string, AnyTypedArray> = {};
  let seed = opts.seed ?? 7;
  for (const [name, spec] of Object.entries(inputs)) {
    const dtype = spec.dtype ?? fdtype;
    vals[name] = g.input(name, spec.shape, dtype);
    data[name] = typedArray(dtype, spec.data ?? randn(sizeOf(spec.shape), seed++));
  }
  const out = build(vals);
  const weights = g.constant(randn(out.size, 999), out.shape, "float64");
  const loss = reduceSum(mul(cast(out, "float64"), weights));
  const checked = Object.entries(inputs).filter(
    ([name, s]) =>
      (s.grad ?? true) &&
      ((vals[name] as Value).dtype === "float32" || (vals[name] as Value).dtype === "float64"),
  );
  const grads = grad(
    loss,
    checked.map(([name]) => vals[name] as Value),
  );
  const outputs: Record<string, Value> = { out, loss };
  checked.forEach(([name], i) => {
    outputs[`grad_${name}`] = grads[i] as Value;
  });
  const runtime = { optimization: opts.optimization ?? "basic" } as const;
  const full = await compile(outputs, runtime);
  const lossOnly = await compile({ loss }, runtime);
  const res = await full.run(data);
  const report: GradCheckReport = {
    output: Float64Array.from(res.out as Float64Array, Number),
    worstGrad: 0,
    worstForward: 0,
    failures: [],
  };

  if (opts.reference) {
    const asF64: Record<string, Float64Array> = {};
    for (const [k, v] of Object.entries(data)) asF64[k] = Float64Array.from(v as Float64Array, Number);
    const ref = opts.reference(asF64);
    const ftol = fdtype === "float64" ? { r: 1e-9, a: 1e-10 } : { r: 1e-4, a: 1e-5 };
    if (ref.length !== report.output.length)
      report.failures.push(`forward: ${report.output.length} values, reference ${ref.length}`);
    for (let i = 0; i < ref.length; i++) {
      const e =
        Math.abs((report.output[i] as number) - (ref[i] as number)) /
        (ftol.a + ftol.r * Math.abs(ref[i] as number));
      if (e > report.worstForward) report.worstForward = e;
      if (e > 1 && report.failures.length < 5)
        report.failures.push(`forward[${i}] = ${report.output[i]}, reference ${ref[i]}`);
    }
  }

  for (const [name] of checked) {
    const x = data[name] as Float64Array | Float32Array;
    const analytic = res[`grad_${name}`] as Float64Array | Float32Array;
    for (let i = 0; i < x.length; i++) {
      const orig = x[i] as number;
      x[i] = orig + eps;
      const lp = ((await lossOnly.run(data)).loss as Float64Array)[0] as number;
      x[i] = orig - eps;
      const lm = ((await lossOnly.run(data)).loss as Float64Array)[0] as number;
      x[i] = orig;
      const numeric = (lp - lm) / (2 * eps);
      const e = Math.abs((analytic[i] as number) - numeric) / (atol + rtol * Math.abs(numeric));
      if (e > report.worstGrad) report.worstGrad = e;
      if (e > 1 && report.failures.length < 5) {
        report.failures.push(`d/d${name}[${i}]: analytic ${analytic[i]}, numeric ${numeric}`);
      }
    }
  }
  return report;
}
