/**
 * The one seedable random generator of medadapt: xoshiro128** (Blackman & Vigna) seeded through
 * splitmix32, so phantoms, splits, augmentation, training order, weight init and bootstrap CIs
 * are reproducible from a seed on every platform (Math.random cannot be seeded).
 *
 * `Rng.stream(seed, index, purpose)` derives independent streams, so e.g. a phantom scan's
 * content does not depend on how many scans were generated before it or on which worker made it.
 */

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
  // An Int32Array keeps the 32-bit state unboxed: plain number fields above 2^30 become heap
  // numbers in V8, which made each draw several times slower.
  readonly #s = new Int32Array(4);
  #spare = Number.NaN;

  /** Any number is a seed; it is taken modulo 2^32 (so -1 and 2^32 - 1 give the same stream). */
  constructor(seed: number) {
    let x = seed >>> 0;
    // splitmix32 spreads any seed (including 0) over the 128-bit state, which must not be all
    // zero; its finaliser is a bijection, so at most one of the four words can be zero.
    for (let k = 0; k < 4; k++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.#s[k] = z ^ (z >>> 16);
    }
  }

  /** The stream for item `index` of the set generated from `seed`, sub-stream `purpose`. */
  static stream(seed: number, index: number, purpose = 0): Rng {
    return new Rng(mixKey(seed, index, purpose));
  }

  /** Next 32-bit unsigned integer. */
  u32(): number {
    const s = this.#s;
    const s1 = s[1]!;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s1;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return r;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
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

  /**
   * Uniform integer in [0, k) for 1 ≤ k ≤ 2^32 (multiply-shift; bias below k / 2^32); the same
   * value as int(0, k - 1).
   */
  intBelow(k: number): number {
    return Math.floor((this.u32() / 4294967296) * k);
  }

  /**
   * Fills `out` with uniform integers in [0, k): the same values as out.length calls of
   * intBelow(k), with the state in local variables (the bootstrap's hot loop; about twice as fast).
   */
  intsBelow(k: number, out: Uint32Array): void {
    const s = this.#s;
    let s0 = s[0]!;
    let s1 = s[1]!;
    let s2 = s[2]!;
    let s3 = s[3]!;
    const scale = k / 4294967296;
    for (let i = 0; i < out.length; i++) {
      const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      out[i] = Math.floor(r * scale);
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
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
