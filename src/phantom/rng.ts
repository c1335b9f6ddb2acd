/**
 * Deterministic random streams for phantoms: xoshiro128** seeded through splitmix32.
 *
 * Every scan gets its own stream derived from (seed, index), so a scan's content does not depend
 * on how many scans were generated before it or on which worker made it.
 */

function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [s, (z ^ (z >>> 16)) >>> 0];
}

/** Mixes any number of integers into one 32-bit key (for stream derivation). */
export function mixKey(...parts: number[]): number {
  let h = 0x2545f491;
  for (const p of parts) {
    const lo = p >>> 0;
    const hi = Math.floor(p / 0x100000000) >>> 0;
    for (const w of [lo, hi]) {
      h = Math.imul(h ^ w, 0x9e3779b1);
      h ^= h >>> 15;
      h = Math.imul(h, 0x85ebca77);
      h ^= h >>> 13;
    }
  }
  return h >>> 0;
}

export class Rng {
  /** xoshiro128** state; an Int32Array so that updates never box numbers. */
  readonly #s = new Int32Array(4);
  #spare = Number.NaN;

  constructor(key: number) {
    let s = key | 0;
    const out: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [ns, v] = splitmix32(s);
      s = ns;
      out.push(v);
    }
    this.#s.set(out);
    if ((out[0]! | out[1]! | out[2]! | out[3]!) === 0) this.#s[0] = 1;
  }

  /** The stream for scan `index` of the set generated from `seed`, sub-stream `purpose`. */
  static stream(seed: number, index: number, purpose = 0): Rng {
    return new Rng(mixKey(seed, index, purpose));
  }

  /** Next 32-bit unsigned integer. */
  u32(): number {
    const s = this.#s;
    const r = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return r;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  sign(): 1 | -1 {
    return this.next() < 0.5 ? -1 : 1;
  }

  /** Standard normal (Marsaglia polar method). */
  normal(): number {
    if (!Number.isNaN(this.#spare)) {
      const s = this.#spare;
      this.#spare = Number.NaN;
      return s;
    }
    for (;;) {
      const u = 2 * this.next() - 1;
      const v = 2 * this.next() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const m = Math.sqrt((-2 * Math.log(s)) / s);
        this.#spare = v * m;
        return u * m;
      }
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
