import assert from "node:assert/strict";
import { test } from "node:test";
import { type AugmentParams, applyAugment, augmentConfig, drawAugment, NO_AUGMENT } from "./augment.js";
import type { ModelView, PreparedCase } from "./pipeline.js";

const ident = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

/** One view [S, C, H, W] and (optionally) a mask [S, H, W] with the same pixels as channel 0. */
function item(
  plane: ModelView["plane"],
  shape: [number, number, number, number],
  fill: (s: number, c: number, y: number, x: number) => number,
): PreparedCase {
  const [S, C, H, W] = shape;
  const data = new Float32Array(S * C * H * W);
  const mask = new Float32Array(S * H * W);
  for (let s = 0; s < S; s++)
    for (let c = 0; c < C; c++)
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          data[((s * C + c) * H + y) * W + x] = fill(s, c, y, x);
          if (c === 0) mask[(s * H + y) * W + x] = fill(s, 0, y, x);
        }
  return {
    id: "x",
    input: {
      views: [{ plane, shape: [...shape], data, toVoxel: ident }],
      scan: { shape: [W, H, S], affine: ident },
    },
    masks: { m: [{ plane, shape: [S, H, W], data: mask }] },
    labels: Float32Array.of(1),
  };
}

const geometricOnly = (p: Partial<AugmentParams>): AugmentParams => ({ ...NO_AUGMENT, ...p });

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-6) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `[${i}] ${a[i]} vs ${b[i]}`);
};

test("parameters depend only on (seed, epoch, case id)", () => {
  const c = augmentConfig();
  assert.deepEqual(drawAugment(c, 1, 0, "a"), drawAugment(c, 1, 0, "a"));
  assert.notDeepEqual(drawAugment(c, 1, 0, "a"), drawAugment(c, 1, 1, "a"));
  assert.notDeepEqual(drawAugment(c, 1, 0, "a"), drawAugment(c, 1, 0, "b"));
  assert.notDeepEqual(drawAugment(c, 1, 0, "a"), drawAugment(c, 2, 0, "a"));
  // Within their ranges, over many draws.
  let flips = 0;
  for (let e = 0; e < 400; e++) {
    const p = drawAugment(c, 3, e, "case");
    assert.ok(Math.abs(p.angle) <= (5 * Math.PI) / 180 && Math.abs(p.zoom - 1) <= 0.05);
    assert.ok(Math.abs(p.shift[0]) <= 0.05 && p.gamma >= Math.exp(-0.2) && p.gamma <= Math.exp(0.2));
    flips += p.flip ? 1 : 0;
  }
  assert.ok(flips > 150 && flips < 250, `${flips} flips of 400`);
  assert.throws(() => augmentConfig({ flip: 2 }), /augment\.flip/);
  assert.throws(() => augmentConfig({ rotate: -1 }), /augment\.rotate/);
});

test("identity parameters change nothing; the input is never modified", () => {
  const it = item("axial", [2, 2, 3, 4], (s, c, y, x) => s + 10 * c + y * 0.5 + x * 0.25);
  const before = it.input.views[0]!.data.slice();
  const out = applyAugment(it, NO_AUGMENT);
  assert.deepEqual(out.input.views[0]!.data, before);
  const rotated = applyAugment(it, geometricOnly({ angle: 0.3 }));
  assert.deepEqual(it.input.views[0]!.data, before);
  assert.notDeepEqual(rotated.input.views[0]!.data, before);
});

test("a 90° turn is counter-clockwise on the displayed image, for images and masks alike", () => {
  // 1 2 3 / 4 5 6 / 7 8 9 turned 90° counter-clockwise is 3 6 9 / 2 5 8 / 1 4 7.
  const it = item("axial", [1, 1, 3, 3], (_s, _c, y, x) => 1 + x + 3 * y);
  const out = applyAugment(it, geometricOnly({ angle: Math.PI / 2 }));
  close(out.input.views[0]!.data, [3, 6, 9, 2, 5, 8, 1, 4, 7]);
  close(out.masks.m![0]!.data, [3, 6, 9, 2, 5, 8, 1, 4, 7], 0);
});

test("left–right flip: columns mirrored in axial views, slice order reversed in sagittal ones", () => {
  const ax = item("axial", [2, 1, 2, 3], (s, _c, y, x) => 100 * s + 10 * y + x);
  const fa = applyAugment(ax, geometricOnly({ flip: true }));
  close(fa.input.views[0]!.data, [2, 1, 0, 12, 11, 10, 102, 101, 100, 112, 111, 110]);
  close(fa.masks.m![0]!.data, [2, 1, 0, 12, 11, 10, 102, 101, 100, 112, 111, 110], 0);
  const sag = item("sagittal", [2, 1, 2, 3], (s, _c, y, x) => 100 * s + 10 * y + x);
  const fs = applyAugment(sag, geometricOnly({ flip: true }));
  close(fs.input.views[0]!.data, [100, 101, 102, 110, 111, 112, 0, 1, 2, 10, 11, 12]);
  close(fs.masks.m![0]!.data, [100, 101, 102, 110, 111, 112, 0, 1, 2, 10, 11, 12], 0);
});

test("whole-pixel shifts move image and mask identically; zeros come in from outside", () => {
  const it = item("axial", [1, 2, 4, 5], (_s, c, y, x) => (c === 0 ? (x === 2 && y >= 1 ? 1 : 0) : 7));
  // One pixel right, two up (shift is a fraction of W and H).
  const out = applyAugment(it, geometricOnly({ shift: [1 / 5, -2 / 4] }));
  const img = out.input.views[0]!.data;
  const m = out.masks.m![0]!.data;
  close(img.subarray(0, 20), m);
  // The lesion column x = 2, rows 1–3 moves to column 3, rows −1–1 → rows 0 and 1 remain.
  close(m, [0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0);
  // Channel 1 (constant 7): pixels shifted in from outside are 0.
  close(img.subarray(20, 25), [0, 7, 7, 7, 7]);
  close(img.subarray(30, 40), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
});

test("random affine: the nearest-neighbour mask agrees with the bilinear image wherever the image is clear", () => {
  // A disc; wherever the warped image is ≈ 1 (≈ 0), every neighbour with weight is inside (outside)
  // the disc, so the nearest one — which carries the largest weight — must be too.
  const it = item("coronal", [3, 1, 24, 24], (_s, _c, y, x) =>
    (x - 11) ** 2 + (y - 12.5) ** 2 < 40 ? 1 : 0,
  );
  for (let e = 0; e < 5; e++) {
    const p = {
      ...drawAugment(augmentConfig({ rotate: 10, scale: 0.1, translate: 0.1 }), 9, e, "x"),
      intensityScale: 1,
      intensityShift: 0,
      gamma: 1,
      noise: 0,
    };
    const out = applyAugment(it, p);
    const img = out.input.views[0]!.data;
    const m = out.masks.m![0]!.data;
    let checked = 0;
    for (let i = 0; i < img.length; i++) {
      assert.ok(m[i] === 0 || m[i] === 1, "mask values stay labels");
      if (img[i]! > 0.99) assert.equal(m[i], 1, `epoch ${e} pixel ${i}`);
      if (img[i]! < 0.01) assert.equal(m[i], 0, `epoch ${e} pixel ${i}`);
      if (img[i]! > 0.99) checked++;
    }
    assert.ok(checked > 50);
  }
});

test("intensity: scale and shift, gamma over the view's range, seeded noise", () => {
  const it = item("axial", [1, 1, 1, 3], (_s, _c, _y, x) => [0, 0.5, 1][x]!);
  close(
    applyAugment(it, { ...NO_AUGMENT, intensityScale: 2, intensityShift: -0.5 }).input.views[0]!.data,
    [-0.5, 0.5, 1.5],
  );
  // Range −0.5 … 1.5, γ = 2: ((x + 0.5)/2)²·2 − 0.5 → −0.5, (0.5)²·2 − 0.5 = 0, 1.5.
  close(
    applyAugment(it, { ...NO_AUGMENT, intensityScale: 2, intensityShift: -0.5, gamma: 2 }).input.views[0]!
      .data,
    [-0.5, 0, 1.5],
  );
  // Any γ in e^±0.2, any value: (x − lo)/range raised to γ, to within 3e-4 of the range.
  const ramp = item("axial", [1, 1, 50, 50], (_s, _c, y, x) => ((x * 50 + y) * 0.618) % 1);
  const src = ramp.input.views[0]!.data;
  for (const gamma of [Math.exp(-0.2), 0.9, 1.2]) {
    const got = applyAugment(ramp, { ...NO_AUGMENT, gamma }).input.views[0]!.data;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const v of src) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    close(
      got,
      Array.from(src, (v) => ((v - lo) / (hi - lo)) ** gamma * (hi - lo) + lo),
      3e-4 * (hi - lo),
    );
  }
  const big = item("axial", [1, 1, 100, 100], () => 0.5);
  const p = { ...NO_AUGMENT, noise: 0.1, noiseKey: 42 };
  const a = applyAugment(big, p).input.views[0]!.data;
  assert.deepEqual(applyAugment(big, p).input.views[0]!.data, a);
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const sd = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
  assert.ok(Math.abs(mean - 0.5) < 0.005 && Math.abs(sd - 0.1) < 0.005, `mean ${mean}, sd ${sd}`);
  // Masks get no intensity change.
  assert.deepEqual(applyAugment(big, p).masks.m![0]!.data, big.masks.m![0]!.data);
});
