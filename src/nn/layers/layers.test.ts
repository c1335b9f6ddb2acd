import assert from "node:assert/strict";
import { after, test } from "node:test";
import { fixture } from "../../../test/paths.js";
import { compile, Graph, releaseSessions } from "../../engine/index.js";
import { readSafetensors } from "../../io/safetensors/index.js";
import { applyRope } from "./attention.js";
import { bicubicMatrix, bicubicResize, interpolateGrid, sincosTable } from "./posembed.js";
import { dinov3RopeTables } from "./rope.js";

after(() => releaseSessions());

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs((a[i] as number) - (b[i] as number)) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
}

test("bicubic resize equals torch.nn.functional.interpolate(bicubic, align_corners=False), host and graph", async () => {
  const f = await readSafetensors(fixture("nn", "bicubic.safetensors"));
  const grid = await f.float32("grid"); // [1, 3, 4, 5] channels-first
  const [c, h, w] = [3, 4, 5];
  const hwc = new Float32Array(h * w * c);
  for (let ch = 0; ch < c; ch++)
    for (let i = 0; i < h * w; i++) hwc[i * c + ch] = grid[ch * h * w + i] as number;
  for (const [oh, ow] of [
    [7, 3],
    [4, 5],
    [2, 9],
  ] as const) {
    const ref = await f.float32(`resized_${oh}x${ow}`); // [1, 3, oh, ow]
    const host = bicubicResize(hwc, h, w, c, oh, ow);
    const g = new Graph();
    const pos = g.input("pos", [h * w, c]);
    const p = await compile({ y: interpolateGrid(pos, h, w, oh, ow) });
    const graph = (await p.run({ pos: hwc })).y as Float32Array;
    const refHwc = new Float32Array(oh * ow * c);
    for (let ch = 0; ch < c; ch++)
      for (let i = 0; i < oh * ow; i++) refHwc[i * c + ch] = ref[ch * oh * ow + i] as number;
    close(host, refHwc, 1e-5, `host ${oh}x${ow}`);
    close(graph, refHwc, 1e-5, `graph ${oh}x${ow}`);
  }
  await f.close();
});

test("bicubic matrix: identity at equal size; Keys weights with clamped edge taps when halving", () => {
  const id = bicubicMatrix(4, 4);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) assert.equal(id[i * 4 + j], i === j ? 1 : 0);
  // 4 → 2: source x = 2i + 0.5, t = 1/2: taps cubic(1.5), cubic(0.5), cubic(0.5), cubic(1.5)
  // with A = −0.75: cubic(0.5) = 0.59375, cubic(1.5) = −0.09375.
  const m = bicubicMatrix(4, 2);
  close(
    Array.from(m.subarray(0, 4)),
    [-0.09375 + 0.59375, 0.59375, -0.09375, 0],
    1e-12,
    "row 0 (left tap clamped)",
  );
  close(
    Array.from(m.subarray(4, 8)),
    [0, -0.09375, 0.59375, 0.59375 - 0.09375],
    1e-12,
    "row 1 (right tap clamped)",
  );
});

test("DINOv3 RoPE tables: hand-computed angles for a 2×3 grid, head dim 8, θ = 100", () => {
  const t = dinov3RopeTables(2, 3, 8, 100);
  assert.deepEqual(t.shape, [6, 8]);
  // patch (y=1, x=2): centres y = 2·(1.5/2) − 1 = 0.5, x = 2·(2.5/3) − 1 = 2/3; inv_freq = [1, 100^(−1/2)]
  const ang = [
    2 * Math.PI * 0.5,
    2 * Math.PI * 0.5 * 0.1,
    2 * Math.PI * (2 / 3),
    2 * Math.PI * (2 / 3) * 0.1,
  ];
  const row = 5 * 8;
  close(Array.from(t.cos.subarray(row, row + 8)), [...ang, ...ang].map(Math.cos), 2e-6, "cos");
  close(Array.from(t.sin.subarray(row, row + 8)), [...ang, ...ang].map(Math.sin), 2e-6, "sin");
});

test("applyRope rotates pairs (i, i + d/2) of patch tokens and leaves prefix tokens alone", async () => {
  const g = new Graph();
  const x = g.input("x", [1, 1, 3, 4]); // one prefix token, two patches, head dim 4
  const cos = Float32Array.from([1, 0.5, 1, 0.5, 0, 0.6, 0, 0.6]);
  const sin = Float32Array.from([0, 0.8, 0, 0.8, 1, 0.8, 1, 0.8]);
  const y = applyRope(x, { cos: g.constant(cos, [2, 4]), sin: g.constant(sin, [2, 4]) });
  const xs = Float32Array.from([9, 8, 7, 6, 1, 2, 3, 4, 5, 6, 7, 8]);
  const out = (await (await compile({ y })).run({ x: xs })).y as Float32Array;
  const expect: number[] = [9, 8, 7, 6];
  for (let p = 0; p < 2; p++) {
    const v = xs.subarray(4 + p * 4, 8 + p * 4);
    const rot = [-(v[2] as number), -(v[3] as number), v[0] as number, v[1] as number];
    for (let i = 0; i < 4; i++)
      expect.push(
        (v[i] as number) * (cos[p * 4 + i] as number) + (rot[i] as number) * (sin[p * 4 + i] as number),
      );
  }
  close(out, expect, 1e-6, "rope");
});

test("sine-cosine table: hand values for a 2-D grid", () => {
  const t = sincosTable(8, [2, 3]);
  // token (1, 2): first 4 channels encode row 1, last 4 column 2; ω = [1, 10000^(−1/2)]
  close(
    Array.from(t.subarray(5 * 8, 6 * 8)),
    [
      Math.sin(1),
      Math.sin(0.01),
      Math.cos(1),
      Math.cos(0.01),
      Math.sin(2),
      Math.sin(0.02),
      Math.cos(2),
      Math.cos(0.02),
    ],
    1e-6,
    "row",
  );
  assert.throws(() => sincosTable(10, [2, 2, 2]), /does not split/);
});
