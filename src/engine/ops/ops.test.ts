// Every op through one checker: forward against a plain-TS reference where one is easy, and the
// gradient against central finite differences (float64 where ORT has kernels, else float32).
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { type CheckInput, type GradCheckOptions, gradCheck, randn } from "../gradcheck.js";
import type { Value } from "../ir/graph.js";
import * as L from "../losses.js";
import { releaseSessions } from "../runtime/session.js";
import * as E from "./index.js";
import * as R from "./reference.js";

after(() => releaseSessions());

async function check(
  inputs: Record<string, CheckInput>,
  build: (x: Record<string, Value>) => Value,
  opts: GradCheckOptions = {},
) {
  const r = await gradCheck(inputs, build, opts);
  assert.deepEqual(r.failures, [], `worst grad ${r.worstGrad}, forward ${r.worstForward}`);
  return r;
}

/** Seeded small random shapes, so each run covers the same but non-trivial cases. */
let shapeSeed = 11;
function dims(n: number, lo = 2, hi = 5): number[] {
  const r = randn(n, shapeSeed++);
  return Array.from(r, (v) => lo + (Math.floor(Math.abs(v) * 1000) % (hi - lo + 1)));
}

const positive = (s: number[], seed = 3) => Array.from(randn(R.size(s), seed), (v) => 0.5 + Math.abs(v));
const awayFromZero = (s: number[], seed = 4) =>
  Array.from(randn(R.size(s), seed), (v) => (v < 0 ? v - 0.2 : v + 0.2));

describe("elementwise", () => {
  const [a, b, c] = dims(3);
  const as = [a as number, b as number, c as number];
  const bs = [b as number, 1];
  const cases: [string, (x: Value, y: Value) => Value, (x: number, y: number) => number, boolean][] = [
    ["Add", E.add, (x, y) => x + y, false],
    ["Sub", E.sub, (x, y) => x - y, false],
    ["Mul", E.mul, (x, y) => x * y, false],
    ["Div", E.div, (x, y) => x / y, true],
    ["Pow", E.pow, (x, y) => x ** y, true],
  ];
  for (const [name, f, ref, pos] of cases) {
    test(`${name} broadcasting ${as} with ${bs}`, async () => {
      const xa = pos ? positive(as, 5) : undefined;
      const ya = pos ? positive(bs, 6) : undefined;
      await check(
        { x: { shape: as, ...(xa && { data: xa }) }, y: { shape: bs, ...(ya && { data: ya }) } },
        ({ x, y }) => f(x as Value, y as Value),
        {
          reference: ({ x, y }) => R.binary(x as Float64Array, as, y as Float64Array, bs, ref),
        },
      );
    });
  }

  const s = dims(2);
  const unary: [string, (x: Value) => Value, (v: number) => number, number[] | undefined][] = [
    ["Neg", E.neg, (v) => -v, undefined],
    ["Exp", E.exp, Math.exp, undefined],
    ["Log", E.log, Math.log, positive(s)],
    ["Sqrt", E.sqrt, Math.sqrt, positive(s)],
    ["Tanh", E.tanh, Math.tanh, undefined],
    ["Sigmoid", E.sigmoid, (v) => 1 / (1 + Math.exp(-v)), undefined],
    ["Relu", E.relu, (v) => Math.max(v, 0), awayFromZero(s)],
    ["Abs", E.abs, Math.abs, awayFromZero(s)],
    [
      "geluTanh",
      E.geluTanh,
      (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
      undefined,
    ],
    ["silu", E.silu, (v) => v / (1 + Math.exp(-v)), undefined],
  ];
  for (const [name, f, ref, data] of unary) {
    test(`${name} ${s}`, async () => {
      await check({ x: { shape: s, ...(data && { data }) } }, ({ x }) => f(x as Value), {
        reference: ({ x }) => Array.from(x as Float64Array, ref),
      });
    });
  }

  // No float64 Erf kernel in ORT: float32 with a coarse step; reference erf by a series.
  const erf = (v: number) => {
    let sum = 0;
    let term = v;
    for (let n = 0; n < 60; n++) {
      sum += term / (2 * n + 1);
      term *= (-v * v) / (n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  };
  test("Erf, exact GELU and tanh GELU (float32 Gelu op)", async () => {
    await check({ x: { shape: s } }, ({ x }) => E.erf(x as Value), {
      dtype: "float32",
      reference: ({ x }) => Array.from(x as Float64Array, erf),
    });
    await check({ x: { shape: s } }, ({ x }) => E.gelu(x as Value), {
      dtype: "float32",
      reference: ({ x }) => Array.from(x as Float64Array, (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
    });
    await check({ x: { shape: s } }, ({ x }) => E.geluTanh(x as Value), {
      dtype: "float32",
      reference: ({ x }) =>
        Array.from(
          x as Float64Array,
          (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
        ),
    });
  });

  test("comparisons and Where", async () => {
    const sh = [3, 4];
    await check(
      { x: { shape: sh }, y: { shape: [4] } },
      ({ x, y }) => E.where(E.less(x as Value, y as Value), E.mul(x as Value, 2), y as Value),
      {
        reference: ({ x, y }) =>
          R.binary(x as Float64Array, sh, y as Float64Array, [4], (p, q) => (p < q ? 2 * p : q)),
      },
    );
    await check({ x: { shape: sh }, y: { shape: sh } }, ({ x, y }) =>
      E.where(E.greater(x as Value, y as Value), x as Value, E.neg(y as Value)),
    );
    await check({ x: { shape: sh } }, ({ x }) => E.cast(E.equal(x as Value, x as Value), "float64"), {
      reference: ({ x }) => Array.from(x as Float64Array, () => 1),
    });
  });

  test("Cast float32 → float64", async () => {
    await check({ x: { shape: [5], dtype: "float32" } }, ({ x }) => E.mul(E.cast(x as Value, "float64"), 3), {
      dtype: "float32",
      reference: ({ x }) => Array.from(x as Float64Array, (v) => 3 * v),
    });
  });
});

describe("matmul", () => {
  const [m, k, n, b] = dims(4) as [number, number, number, number];
  const cases: [number[], number[]][] = [
    [
      [b, m, k],
      [k, n],
    ],
    [
      [m, k],
      [b, k, n],
    ],
    [
      [b, 1, m, k],
      [3, k, n],
    ],
    [
      [m, k],
      [k, n],
    ],
    // A weight with ≥ 64 columns: the gradient multiplies a materialised Aᵀ (rank 3 and 4).
    [
      [b, m, k],
      [k, 64],
    ],
    [
      [2, b, m, k],
      [k, 65],
    ],
    // A skinny weight (LoRA's A): the gradient is (dYᵀ·A)ᵀ with dYᵀ materialised (rank 4 here).
    [
      [2, b, m, k],
      [k, 3],
    ],
  ];
  for (const [as, bs] of cases) {
    test(`MatMul ${as} × ${bs}`, async () => {
      await check(
        { a: { shape: as }, b: { shape: bs } },
        ({ a, b: bb }) => E.matmul(a as Value, bb as Value),
        {
          reference: ({ a, b: bb }) => R.matmul(a as Float64Array, as, bb as Float64Array, bs),
        },
      );
    });
  }
  test("MatMul of two transposed views (attention's Q·Kᵀ takes the transposed-product gradients)", async () => {
    const xs = [b, m, 2, k];
    const ys = [b, n, 2, k];
    await check(
      { x: { shape: xs }, y: { shape: ys } },
      ({ x, y }) => E.matmul(E.transpose(x as Value, [0, 2, 1, 3]), E.transpose(y as Value, [0, 2, 3, 1])),
      {
        reference: ({ x, y }) =>
          R.matmul(
            R.transpose(x as Float64Array, xs, [0, 2, 1, 3]),
            [b, 2, m, k],
            R.transpose(y as Float64Array, ys, [0, 2, 3, 1]),
            [b, 2, k, n],
          ),
      },
    );
  });
  test("Gemm transA/transB, alpha, beta, broadcast C", async () => {
    for (const [cs, tA, tB] of [
      [[n], true, false],
      [[m, 1], false, true],
      [[m, n], true, true],
    ] as [number[], boolean, boolean][]) {
      const as = tA ? [k, m] : [m, k];
      const bs = tB ? [n, k] : [k, n];
      await check(
        { a: { shape: as }, b: { shape: bs }, c: { shape: cs } },
        ({ a, b: bb, c }) =>
          E.gemm(a as Value, bb as Value, c as Value, { alpha: 0.7, beta: 1.3, transA: tA, transB: tB }),
        {
          reference: ({ a, b: bb, c }) => {
            const A = tA ? R.transpose(a as Float64Array, as, [1, 0]) : Array.from(a as Float64Array);
            const B = tB ? R.transpose(bb as Float64Array, bs, [1, 0]) : Array.from(bb as Float64Array);
            const ab = R.matmul(A, [m, k], B, [k, n]);
            // ONNX float attributes are float32.
            return R.binary(
              ab,
              [m, n],
              c as Float64Array,
              cs,
              (p, q) => Math.fround(0.7) * p + Math.fround(1.3) * q,
            );
          },
        },
      );
    }
  });
});

describe("normalisation", () => {
  const s = [2, ...dims(2, 3, 5)];
  const softmax = (l: number[]) => {
    const mx = Math.max(...l);
    const e = l.map((v) => Math.exp(v - mx));
    const z = e.reduce((p, q) => p + q, 0);
    return e.map((v) => v / z);
  };
  test(`Softmax and LogSoftmax on axis 1 of ${s}`, async () => {
    await check({ x: { shape: s } }, ({ x }) => E.softmax(x as Value, 1), {
      reference: ({ x }) => R.lanes(x as Float64Array, s, 1, softmax),
    });
    await check({ x: { shape: s } }, ({ x }) => E.logSoftmax(x as Value, 1), {
      reference: ({ x }) => R.lanes(x as Float64Array, s, 1, (l) => softmax(l).map(Math.log)),
    });
  });
  test(`LayerNormalization over the last axis of ${s}, and over the last two`, async () => {
    const d = s[2] as number;
    const ln = (l: number[]) => {
      const mu = l.reduce((p, q) => p + q, 0) / l.length;
      const v = l.reduce((p, q) => p + (q - mu) ** 2, 0) / l.length;
      return l.map((q) => (q - mu) / Math.sqrt(v + 1e-5));
    };
    await check(
      { x: { shape: s }, g: { shape: [d] }, b: { shape: [d] } },
      ({ x, g, b }) => E.layerNorm(x as Value, g as Value, b as Value),
      {
        reference: ({ x, g, b }) => {
          const n = R.lanes(x as Float64Array, s, 2, ln);
          return n.map(
            (v, i) => v * ((g as Float64Array)[i % d] as number) + ((b as Float64Array)[i % d] as number),
          );
        },
      },
    );
    await check({ x: { shape: s }, g: { shape: s.slice(1) } }, ({ x, g }) =>
      E.layerNorm(x as Value, g as Value, undefined, { axis: 1, epsilon: 1e-3 }),
    );
    // A scale that broadcasts inside the normalised block takes the plain-reduction gradient.
    await check({ x: { shape: s }, g: { shape: [d] }, b: { shape: [1, d] } }, ({ x, g, b }) =>
      E.layerNorm(x as Value, g as Value, b as Value, { axis: 1 }),
    );
  });
  test(`LayerNormalization in float32 (gradient from ORT's saved Mean/InvStdDev) of ${s}`, async () => {
    // An offset mean (|μ| ≫ σ) exercises the x-expanded form's cancellation.
    const data = Array.from(randn(R.size(s), 21), (v, i) => 3 + (i % 3) + 0.5 * v);
    await check(
      { x: { shape: s, data }, g: { shape: [s[2] as number] }, b: { shape: [s[2] as number] } },
      ({ x, g, b }) => E.layerNorm(x as Value, g as Value, b as Value),
      { dtype: "float32", eps: 1e-2, rtol: 2e-2, atol: 2e-3 },
    );
  });
});

describe("reductions", () => {
  const s = dims(3);
  for (const keep of [true, false]) {
    test(`ReduceSum/Mean/Max over axes [0, 2] of ${s}, keepdims ${keep}`, async () => {
      const axes = [0, 2];
      const n = (s[0] as number) * (s[2] as number);
      await check({ x: { shape: s } }, ({ x }) => E.reduceSum(x as Value, axes, keep), {
        reference: ({ x }) => R.reduce(x as Float64Array, s, axes, 0, (p, q) => p + q),
      });
      await check({ x: { shape: s } }, ({ x }) => E.reduceMean(x as Value, axes, keep), {
        reference: ({ x }) => R.reduce(x as Float64Array, s, axes, 0, (p, q) => p + q / n),
      });
      await check({ x: { shape: s } }, ({ x }) => E.reduceMax(x as Value, axes, keep), {
        reference: ({ x }) => R.reduce(x as Float64Array, s, axes, -Infinity, Math.max),
      });
    });
  }
});

describe("movement", () => {
  const s = dims(3, 2, 4) as [number, number, number];
  test(`Reshape, Transpose, Expand, Squeeze, Unsqueeze of ${s}`, async () => {
    await check({ x: { shape: s } }, ({ x }) => E.reshape(x as Value, [s[0], -1]), {
      reference: ({ x }) => Array.from(x as Float64Array),
    });
    await check({ x: { shape: s } }, ({ x }) => E.transpose(x as Value, [2, 0, 1]), {
      reference: ({ x }) => R.transpose(x as Float64Array, s, [2, 0, 1]),
    });
    await check({ x: { shape: [s[0], 1, s[2]] } }, ({ x }) => E.expand(x as Value, [2, s[0], s[1], s[2]]));
    await check({ x: { shape: [s[0], 1, s[2]] } }, ({ x }) =>
      E.unsqueeze(E.squeeze(x as Value, [1]), [0, 3]),
    );
  });
  test("Concat, Split, Slice", async () => {
    await check(
      { a: { shape: [2, 3] }, b: { shape: [2, 1] }, c: { shape: [2, 2], grad: false } },
      ({ a, b, c }) => E.concat([a as Value, b as Value, c as Value], 1),
      {
        reference: ({ a, b, c }) =>
          [0, 1].flatMap((r) => [
            ...(a as Float64Array).slice(3 * r, 3 * r + 3),
            (b as Float64Array)[r] as number,
            ...(c as Float64Array).slice(2 * r, 2 * r + 2),
          ]),
      },
    );
    // Only the last part of the split is used: the others get zero gradients.
    await check({ x: { shape: [s[0], 6] } }, ({ x }) =>
      E.mul(E.split(x as Value, [1, 2, 3], 1)[2] as Value, 2),
    );
    await check({ x: { shape: [5, 6] } }, ({ x }) => E.slice(x as Value, [1, -4], [4, 100], [0, 1]), {
      reference: ({ x }) =>
        [1, 2, 3].flatMap((r) => Array.from((x as Float64Array).slice(6 * r + 2, 6 * r + 6))),
    });
  });
  test("Gather with repeated indices", async () => {
    const idx = [2, 0, 2, 1];
    await check(
      { x: { shape: [2, 3, 4] }, i: { shape: [2, 2], dtype: "int64", data: idx } },
      ({ x, i }) => E.gather(x as Value, i as Value, 1),
      {
        reference: ({ x }) => {
          const out: number[] = [];
          for (let a = 0; a < 2; a++)
            for (const j of idx)
              for (let c = 0; c < 4; c++) out.push((x as Float64Array)[a * 12 + j * 4 + c] as number);
          return out;
        },
      },
    );
  });
  test("Pad (constant)", async () => {
    await check({ x: { shape: [2, 3] } }, ({ x }) => E.pad(x as Value, [1, 0, 0, 2], "constant", 0.5), {
      reference: ({ x }) => [
        ...[0.5, 0.5, 0.5, 0.5, 0.5],
        ...[0, 1].flatMap((r) => [...(x as Float64Array).slice(3 * r, 3 * r + 3), 0.5, 0.5]),
      ],
    });
  });
});

describe("convolution (float32: ORT has no float64 Conv kernels)", () => {
  const f32 = { dtype: "float32" as const };
  const cases: [string, number[], number[], E.ConvOptions][] = [
    ["1D", [2, 3, 9], [4, 3, 3], { strides: [2], pads: [1, 2] }],
    [
      "2D strided, dilated, grouped",
      [2, 4, 7, 8],
      [6, 2, 3, 2],
      { strides: [2, 1], pads: [1, 0, 2, 1], dilations: [2, 1], group: 2 },
    ],
    [
      "3D strided, padded",
      [1, 2, 5, 6, 5],
      [3, 2, 3, 3, 2],
      { strides: [2, 2, 1], pads: [1, 1, 0, 1, 0, 1] },
    ],
  ];
  for (const [name, xs, ws, o] of cases) {
    test(`Conv ${name}`, async () => {
      const nsp = xs.length - 2;
      const p = {
        strides: o.strides ? [...o.strides] : new Array(nsp).fill(1),
        pads: o.pads ? [...o.pads] : new Array(2 * nsp).fill(0),
        dilations: o.dilations ? [...o.dilations] : new Array(nsp).fill(1),
        group: o.group ?? 1,
      };
      const m = ws[0] as number;
      await check(
        { x: { shape: xs }, w: { shape: ws }, b: { shape: [m] } },
        ({ x, w, b }) => E.conv(x as Value, w as Value, b as Value, o),
        {
          ...f32,
          reference: ({ x, w, b }) => {
            const r = R.conv(x as Float64Array, xs, w as Float64Array, ws, p);
            const per = R.size(r.shape.slice(2));
            return r.y.map((v, i) => v + ((b as Float64Array)[Math.floor(i / per) % m] as number));
          },
        },
      );
    });
  }
  const tcases: [string, number[], number[], E.ConvOptions & { outputPadding: number[] }][] = [
    [
      "2D strided, grouped, output padding",
      [2, 4, 3, 4],
      [4, 3, 3, 2],
      { strides: [2, 3], pads: [1, 0, 0, 1], group: 2, outputPadding: [1, 2] },
    ],
    [
      "3D strided",
      [1, 2, 3, 2, 3],
      [2, 3, 2, 3, 2],
      { strides: [2, 2, 1], pads: [0, 1, 0, 0, 0, 1], outputPadding: [1, 0, 0] },
    ],
  ];
  for (const [name, xs, ws, o] of tcases) {
    test(`ConvTranspose ${name}`, async () => {
      const nsp = xs.length - 2;
      const p = {
        strides: [...(o.strides as number[])],
        pads: [...(o.pads as number[])],
        dilations: new Array(nsp).fill(1),
        group: o.group ?? 1,
        outputPadding: o.outputPadding,
      };
      const m = (ws[1] as number) * p.group;
      await check(
        { x: { shape: xs }, w: { shape: ws }, b: { shape: [m] } },
        ({ x, w, b }) => E.convTranspose(x as Value, w as Value, b as Value, o),
        {
          ...f32,
          reference: ({ x, w, b }) => {
            const r = R.convTranspose(x as Float64Array, xs, w as Float64Array, ws, p);
            const per = R.size(r.shape.slice(2));
            return r.y.map((v, i) => v + ((b as Float64Array)[Math.floor(i / per) % m] as number));
          },
        },
      );
    });
  }
});

describe("pooling", () => {
  test("MaxPool 2D overlapping windows with padding; 3D", async () => {
    const xs = [2, 2, 7, 6];
    await check(
      { x: { shape: xs } },
      ({ x }) => E.maxPool(x as Value, [3, 3], { strides: [2, 2], pads: [1, 1, 1, 0] }),
      {
        reference: ({ x }) => R.pool(x as Float64Array, xs, [3, 3], [2, 2], [1, 1, 1, 0], "max"),
      },
    );
    const x3 = [1, 2, 4, 4, 5];
    await check({ x: { shape: x3 } }, ({ x }) => E.maxPool(x as Value, [2, 2, 2]), {
      reference: ({ x }) => R.pool(x as Float64Array, x3, [2, 2, 2], [2, 2, 2], [0, 0, 0, 0, 0, 0], "max"),
    });
  });
  for (const incl of [false, true]) {
    test(`AveragePool 2D padded, count_include_pad ${incl} (float32)`, async () => {
      const xs = [2, 3, 6, 7];
      const pads = [1, 0, 1, 1];
      await check(
        { x: { shape: xs } },
        ({ x }) => E.avgPool(x as Value, [3, 2], { strides: [2, 2], pads, countIncludePad: incl }),
        {
          dtype: "float32",
          reference: ({ x }) => R.pool(x as Float64Array, xs, [3, 2], [2, 2], pads, "avg", incl),
        },
      );
    });
  }
  test("AveragePool 3D (float32)", async () => {
    const xs = [1, 2, 4, 6, 4];
    await check({ x: { shape: xs } }, ({ x }) => E.avgPool(x as Value, [2, 3, 2]), {
      dtype: "float32",
      reference: ({ x }) => R.pool(x as Float64Array, xs, [2, 3, 2], [2, 3, 2], [0, 0, 0, 0, 0, 0], "avg"),
    });
  });
});

describe("resize", () => {
  const cases: [string, number[], number[], E.ResizeOptions][] = [
    ["nearest ×2", [1, 2, 3, 4], [1, 2, 6, 8], { mode: "nearest" }],
    [
      "nearest asymmetric floor to odd sizes",
      [1, 1, 4, 5],
      [1, 1, 7, 3],
      { mode: "nearest", coordinateTransformationMode: "asymmetric", nearestMode: "floor" },
    ],
    ["linear half_pixel up and down", [2, 1, 4, 6], [2, 1, 7, 4], { mode: "linear" }],
    [
      "linear align_corners 3D",
      [1, 1, 3, 4, 2],
      [1, 1, 5, 3, 4],
      { mode: "linear", coordinateTransformationMode: "align_corners" },
    ],
  ];
  for (const [name, xs, ys, o] of cases) {
    test(`Resize ${name}`, async () => {
      // Independent reference: direct separable interpolation written out with the ONNX formulas.
      const ref = (x: Float64Array) => {
        let cur = Array.from(x);
        let cs = [...xs];
        for (let ax = 0; ax < xs.length; ax++) {
          const I = cs[ax] as number;
          const O = ys[ax] as number;
          const ns = [...cs];
          ns[ax] = O;
          const out = new Array(R.size(ns)).fill(0);
          for (let f = 0; f < out.length; f++) {
            const idx = R.unravel(f, ns);
            const oo = idx[ax] as number;
            const sc = O / I;
            const ctm = o.coordinateTransformationMode ?? "half_pixel";
            const xo =
              ctm === "align_corners"
                ? O === 1
                  ? 0
                  : (oo * (I - 1)) / (O - 1)
                : ctm === "asymmetric"
                  ? oo / sc
                  : (oo + 0.5) / sc - 0.5;
            const at = (i: number) => {
              const j = [...idx];
              j[ax] = i;
              return cur[R.bindex(j, cs)] as number;
            };
            if (o.mode === "nearest") {
              const nm = o.nearestMode ?? "round_prefer_floor";
              let i =
                nm === "floor"
                  ? Math.floor(xo)
                  : xo - Math.floor(xo) === 0.5
                    ? Math.floor(xo)
                    : Math.round(xo);
              i = Math.min(Math.max(i, 0), I - 1);
              out[f] = at(i);
            } else {
              const xc = Math.min(Math.max(xo, 0), I - 1);
              const i0 = Math.floor(xc);
              const w = xc - i0;
              out[f] = (1 - w) * at(i0) + w * at(Math.min(i0 + 1, I - 1));
            }
          }
          cur = out;
          cs = ns;
        }
        return cur;
      };
      await check({ x: { shape: xs } }, ({ x }) => E.resize(x as Value, ys, o), {
        dtype: "float32",
        reference: ({ x }) => ref(x as Float64Array),
      });
    });
  }
});

describe("losses", () => {
  const s = [4, 5];
  const targets = (seed: number) => Array.from(randn(20, seed), (v) => (v > 0.3 ? 1 : 0));
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  test("BCE with logits and focal loss", async () => {
    const t = targets(21);
    await check(
      { x: { shape: s }, t: { shape: s, data: t, grad: false } },
      ({ x, t: tt }) => L.bceWithLogits(x as Value, tt as Value),
      {
        reference: ({ x }) => [
          Array.from(x as Float64Array).reduce(
            (acc, v, i) =>
              acc - ((t[i] as number) * Math.log(sig(v)) + (1 - (t[i] as number)) * Math.log(1 - sig(v))),
            0,
          ) / 20,
        ],
      },
    );
    await check(
      { x: { shape: s }, t: { shape: s, data: t, grad: false } },
      ({ x, t: tt }) => L.focalLoss(x as Value, tt as Value, { gamma: 2, alpha: 0.25 }),
      {
        reference: ({ x }) => [
          Array.from(x as Float64Array).reduce((acc, v, i) => {
            const y = t[i] as number;
            const p = sig(v);
            const pt = y ? p : 1 - p;
            return acc - (y ? 0.25 : 0.75) * (1 - pt) ** 2 * Math.log(pt);
          }, 0) / 20,
        ],
      },
    );
  });
  test("softmax cross-entropy, Dice, MSE", async () => {
    const onehot = Array.from({ length: 20 }, (_, i) => (i % 5 === Math.floor(i / 5) ? 1 : 0));
    await check(
      { x: { shape: s }, t: { shape: s, data: onehot, grad: false } },
      ({ x, t }) => L.softmaxCrossEntropy(x as Value, t as Value),
      {
        reference: ({ x }) => {
          let acc = 0;
          for (let r = 0; r < 4; r++) {
            const l = Array.from((x as Float64Array).slice(5 * r, 5 * r + 5));
            const lse = Math.log(l.reduce((p, q) => p + Math.exp(q), 0));
            acc -= (l[r] as number) - lse;
          }
          return [acc / 4];
        },
      },
    );
    const ds = [2, 2, 3, 3];
    await check(
      {
        p: { shape: ds, data: positive(ds, 9).map((v) => v / 3) },
        t: { shape: ds, data: Array.from({ length: 36 }, (_, i) => i % 2), grad: false },
      },
      ({ p, t }) => L.diceLoss(p as Value, t as Value),
      {
        reference: ({ p, t }) => {
          let acc = 0;
          for (let k = 0; k < 4; k++) {
            let i = 0;
            let sp = 0;
            let st = 0;
            for (let j = 0; j < 9; j++) {
              const pp = (p as Float64Array)[9 * k + j] as number;
              const tt = (t as Float64Array)[9 * k + j] as number;
              i += pp * tt;
              sp += pp;
              st += tt;
            }
            acc += (2 * i + 1) / (sp + st + 1);
          }
          return [1 - acc / 4];
        },
      },
    );
    await check({ a: { shape: s }, b: { shape: s } }, ({ a, b }) => L.mse(a as Value, b as Value), {
      reference: ({ a, b }) => [
        Array.from(a as Float64Array).reduce(
          (acc, v, i) => acc + (v - ((b as Float64Array)[i] as number)) ** 2,
          0,
        ) / 20,
      ],
    });
  });
});

test("shape errors name the op and the shapes", async () => {
  const { Graph } = await import("../ir/graph.js");
  const g = new Graph();
  const a = g.input("a", [2, 3]);
  const b = g.input("b", [4, 5]);
  assert.throws(
    () => E.matmul(a, b),
    /MatMul: inner dimensions differ \(3 vs 4\) \(inputs \[2,3\]:float32, \[4,5\]:float32/,
  );
  assert.throws(() => E.add(a, b), /Add: shapes \[2,3\] and \[4,5\] do not broadcast/);
});
