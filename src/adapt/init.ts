// Seeded initialisers for adapter weights, matching PEFT's defaults so a fresh adapter is
// distributed like one made in Python (values differ: the generators differ).
import { randn } from "../engine/index.js";
import { Rng } from "../random/rng.js";

/** Uniform [0, 1) numbers from the shared seeded `Rng`. */
export function uniform(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.next();
  return out;
}

/**
 * torch's `kaiming_uniform_(w, a=√5)` (PEFT's lora_A default): U(−b, b) with
 * b = gain·√(3/fan_in), gain = √(2/(1+a²)) — which is b = 1/√fan_in.
 */
export function kaimingUniform(shape: readonly number[], seed: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const fanIn = n / (shape[0] as number);
  const a = Math.sqrt(5);
  const bound = Math.sqrt(2 / (1 + a * a)) * Math.sqrt(3 / fanIn);
  const u = uniform(n, seed);
  for (let i = 0; i < n; i++) u[i] = ((u[i] as number) * 2 - 1) * bound;
  return u;
}

/** Normal(0, std²), as PEFT's `init_lora_weights="gaussian"` (std = 1/r). */
export function gaussian(n: number, std: number, seed: number): Float32Array {
  return Float32Array.from(randn(n, seed), (v) => v * std);
}

/** A stable 32-bit seed from a base seed and a module path, so adapters do not share values. */
export function seedFor(base: number, path: string): number {
  let h = (base ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < path.length; i++) h = Math.imul(h ^ path.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
