/**
 * A small seedable PRNG (xoshiro128**, seeded through splitmix32), so that bootstrap CIs are
 * reproducible from a seed on every platform; Math.random cannot be seeded.
 */
export class Prng {
  // An Int32Array keeps the 32-bit state unboxed: plain number fields above 2^30 become heap
  // numbers in V8, which made each draw several times slower.
  private readonly s = new Int32Array(4);

  constructor(seed: number) {
    let x = seed >>> 0;
    // splitmix32 spreads any seed (including 0) over the 128-bit state, which must not be all zero.
    for (let k = 0; k < 4; k++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.s[k] = z ^ (z >>> 16);
    }
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const s1 = s[1]!;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s1;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, k) for 1 ≤ k ≤ 2^32 (multiply-shift; bias below k / 2^32). */
  int(k: number): number {
    return Math.floor((this.nextUint32() / 4294967296) * k);
  }

  /**
   * Fills `out` with uniform integers in [0, k): the same values as out.length calls of int(k),
   * with the state in local variables (the bootstrap's hot loop; about twice as fast).
   */
  ints(k: number, out: Uint32Array): void {
    const s = this.s;
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
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
