// Heat maps: attention probabilities against a hand softmax; rollout against an explicit matrix
// product; a hand-built one-block ViT whose CLS attends to bright patches and whose slice query
// attends to the slice holding them puts the heat map's maximum on a blob placed in an LPS,
// anisotropic scan, and the NIfTI written has the scan's shape and affine exactly.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { PNG } from "pngjs";
import { compile, releaseSessions } from "../../engine/index.js";
import { readNifti, writeNifti } from "../../io/nifti/index.js";
import { MultiHeadAttention, selfAttentionProbs } from "../../nn/layers/attention.js";
import { BuildContext } from "../../nn/module.js";
import { Dinov2Model } from "../../nn/nets/dinov2.js";
import { Vit3d } from "../../nn/nets/vit3d.js";
import { AnyMc3d } from "../../tasks/classification/anymc3d.js";
import { Native3d } from "../../tasks/classification/native3d.js";
import { trainConfig } from "../../train/config.js";
import { Volume } from "../../volume/volume.js";
import { heatmapForScan, heatmapPng, patchRelevance } from "./heatmap.js";
import type { LoadedTaskModel } from "./predict.js";

let dir = "";
before(() => {
  dir = mkdtempSync(join(tmpdir(), "medadapt-heatmap-"));
});
after(() => {
  releaseSessions();
  rmSync(dir, { recursive: true, force: true });
});

test("recorded attention probabilities equal a hand softmax(q·kᵀ/√d) per head and sum to 1 over keys", async () => {
  const [D, heads, T] = [4, 2, 3];
  const att = new MultiHeadAttention(D, heads, { names: { q: "q", k: "k", v: "v", o: "o" } });
  const w = (seed: number) =>
    Float32Array.from({ length: D * D }, (_, i) => Math.sin(seed * 7 + i * 1.3) * 0.8);
  const bias = (seed: number) => Float32Array.from({ length: D }, (_, i) => Math.cos(seed + i) * 0.3);
  const W: Record<string, Float32Array> = { q: w(1), k: w(2) };
  const B: Record<string, Float32Array> = { q: bias(1), k: bias(2) };
  for (const n of ["q", "k"]) {
    att.getParameter(`${n}.weight`).data = W[n]!;
    att.getParameter(`${n}.bias`).data = B[n]!;
  }
  const x = Float32Array.from({ length: T * D }, (_, i) => Math.sin(i * 0.7) * 2);
  const ctx = new BuildContext(att);
  const input = ctx.graph.input("x", [1, T, D]);
  att.forward(ctx, input);
  const [p] = selfAttentionProbs(ctx.graph);
  assert.deepEqual(p!.shape, [1, heads, T, T]);
  const got = (await (await compile({ p: p! })).run({ x })).p as Float32Array;
  // By hand: q = x·Wqᵀ + bq, k likewise, per head (d = 2) softmax over keys.
  const lin = (n: string, t: number, o: number) => {
    let s = B[n]![o]!;
    for (let i = 0; i < D; i++) s += x[t * D + i]! * W[n]![o * D + i]!;
    return s;
  };
  const d = D / heads;
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < T; i++) {
      const scores = [...Array(T).keys()].map((j) => {
        let s = 0;
        for (let c = 0; c < d; c++) s += lin("q", i, h * d + c) * lin("k", j, h * d + c);
        return s / Math.sqrt(d);
      });
      const mx = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - mx));
      const z = e.reduce((a, b) => a + b, 0);
      let rowSum = 0;
      for (let j = 0; j < T; j++) {
        const v = got[((h * T + i) * T + j) as number]!;
        rowSum += v;
        assert.ok(Math.abs(v - e[j]! / z) < 1e-6, `head ${h} row ${i} key ${j}: ${v} vs ${e[j]! / z}`);
      }
      assert.ok(Math.abs(rowSum - 1) < 1e-6);
    }
});

test("rollout: the CLS row of Π(½A + ½I) (last layer first) over the patch columns", () => {
  const T = 3; // CLS + 2 patches
  const A1 = [0.2, 0.5, 0.3, 0.1, 0.1, 0.8, 0.6, 0.3, 0.1];
  const A2 = [0.5, 0.25, 0.25, 0.3, 0.4, 0.3, 0.2, 0.2, 0.6];
  const mixed = (A: number[]) => A.map((a, k) => 0.5 * a + (k % (T + 1) === 0 ? 0.5 : 0));
  const matmul = (X: number[], Y: number[]) =>
    X.map((_, k) => {
      const [i, j] = [Math.floor(k / T), k % T];
      let s = 0;
      for (let c = 0; c < T; c++) s += X[i * T + c]! * Y[c * T + j]!;
      return s;
    });
  const R = matmul(mixed(A2), mixed(A1)); // layer 2 (last) applied to layer 1's mixing
  const got = patchRelevance([Float32Array.from(A1), Float32Array.from(A2)], 1, T, 2, true);
  assert.ok(Math.abs(got[0]! - R[1]!) < 1e-6 && Math.abs(got[1]! - R[2]!) < 1e-6, `${got} vs ${R}`);
  const last = patchRelevance([Float32Array.from(A1), Float32Array.from(A2)], 1, T, 2, false);
  assert.deepEqual([...last], [0.25, 0.25]);
  // No CLS token (T = patches): the mean row.
  const mean = patchRelevance([Float32Array.from([0.5, 0.5, 0.1, 0.9])], 1, 2, 2, false);
  assert.ok(Math.abs(mean[0]! - 0.3) < 1e-7 && Math.abs(mean[1]! - 0.7) < 1e-7);
});

/**
 * One block, width 32, 2 heads, patch 8, 1 channel. Patch token = [16·mean, 0, 1, 0…], CLS = e1.
 * Keys of both heads read LN(x)₀ − LN(x)₂ (rises with brightness; 0 for the CLS) against a
 * constant query β: the CLS attends to the brightest patches. Values carry the same feature into
 * channel 3, so the slice's CLS embedding holds it; the slice query γ·e3 picks that slice.
 */
function handModel(views: ("axial" | "coronal")[] = ["axial"]): LoadedTaskModel {
  const D = 32;
  const backbone = new Dinov2Model({
    hidden_size: D,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    mlp_ratio: 2,
    hidden_act: "gelu",
    layer_norm_eps: 1e-6,
    image_size: 32,
    patch_size: 8,
    num_channels: 1,
    qkv_bias: true,
    layerscale_value: 1,
    use_swiglu_ffn: false,
    use_mask_token: false,
  });
  for (const [name, p] of backbone.namedParameters())
    p.data = new Float32Array(p.size).fill(/(norm\d?|layernorm)\.weight$|lambda1$/.test(name) ? 1 : 0);
  const set = (name: string, idx: number, v: number) => {
    backbone.getParameter(name).data[idx] = v;
  };
  const L = "encoder.layer.0.";
  for (let i = 0; i < 64; i++) set("embeddings.patch_embeddings.projection.weight", i, 16 / 64);
  set("embeddings.patch_embeddings.projection.bias", 2, 1);
  set("embeddings.cls_token", 1, 1);
  for (const h of [0, 16]) {
    set(`${L}attention.attention.key.weight`, h * D + 0, 1);
    set(`${L}attention.attention.key.weight`, h * D + 2, -1);
    set(`${L}attention.attention.query.bias`, h, 8);
  }
  set(`${L}attention.attention.value.weight`, 3 * D + 0, 1);
  set(`${L}attention.attention.value.weight`, 3 * D + 2, -1);
  set(`${L}attention.output.dense.weight`, 3 * D + 3, 1);
  backbone.freeze();
  const model = new AnyMc3d(backbone, { findings: 2, views, pooling: "attention" });
  for (const v of views) {
    const q = model.getParameter(`pool.${v}.query`);
    q.data = new Float32Array(D);
    q.data[3] = 10;
  }
  const head = model.getParameter("head.weight");
  head.data = new Float32Array(head.size);
  head.data[3] = 1; // finding 0 rises with channel 3: the highest-probability finding
  const config = trainConfig({
    seed: 0,
    runDir: join(dir, "hand"),
    data: {
      manifest: "unused.csv",
      preprocess: { size: [32, 32], slices: 8, planes: views, intensity: { kind: "ct", windows: ["brain"] } },
    },
    model: { backbone: "tiny-dinov2" },
  });
  return {
    runDir: join(dir, "hand"),
    config,
    findings: ["blob", "other"],
    imagesPerCase: 1,
    built: { model } as LoadedTaskModel["built"],
    checkpoint: "",
    epoch: 1,
    source: "plugin",
    adapterName: undefined,
  };
}

/** An LPS scan [40, 36, 8] (0.8 × 0.9 × 3 mm), 0 HU with a bright 80 HU blob in slice 5. */
function lpsScan(): { vol: Volume; blob: [number, number, number] } {
  const [nx, ny, nz] = [40, 36, 8];
  const blob: [number, number, number] = [29, 9, 5];
  const data = new Float32Array(nx * ny * nz);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++)
        if (k === blob[2] && Math.hypot(i - blob[0], j - blob[1]) < 4) data[i + nx * (j + ny * k)] = 80;
  // LPS: +i toward the patient's left, +j posterior, so in RAS+ x = −0.8·i, y = −0.9·j.
  const affine = [-0.8, 0, 0, 20, 0, -0.9, 0, 30, 0, 0, 3, -10, 0, 0, 0, 1];
  return { vol: Volume.fromReal(data, [nx, ny, nz], affine), blob };
}

test("heat map of a blob scan (LPS, anisotropic, resized): maximum on the blob, NIfTI in the scan's geometry", async () => {
  const { vol, blob } = lpsScan();
  // As a user would: the scan is a NIfTI file, and the heat map must overlay that file.
  const scanPath = join(dir, "scan.nii.gz");
  await writeNifti(scanPath, vol);
  const scan = await readNifti(scanPath);
  const m = handModel();
  const out = join(dir, "heat.nii.gz");
  const png = join(dir, "heat.png");
  const h = await heatmapForScan(m, [scanPath], { nifti: out, png, topK: 4 });
  assert.equal(h.finding, "blob");
  // The slice query picked the blob's slice.
  const w = h.prediction.sliceWeights.axial!;
  assert.equal(w.indexOf(Math.max(...w)), blob[2]);

  const back = await readNifti(out);
  assert.deepEqual(back.shape, scan.shape);
  assert.deepEqual([...back.affine], [...scan.affine], "the input scan's affine, exactly");
  assert.equal(back.dtype, "float32");
  const v = back.real();
  let arg = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[arg]!) arg = i;
  assert.ok(Math.abs(v[arg]! - 1) < 1e-6, "normalised to a maximum of 1");
  const [nx, ny] = scan.shape as [number, number, number];
  const at = [arg % nx, Math.floor(arg / nx) % ny, Math.floor(arg / (nx * ny))];
  assert.equal(at[2], blob[2], `maximum in the blob's slice (at ${at})`);
  // Within a patch of the blob's centre (a patch is 8 model px = 10 × 9 mm here; the LPS flip
  // undone wrongly would put it 15 mm away).
  const mm = Math.hypot((at[0]! - blob[0]) * 0.8, (at[1]! - blob[1]) * 0.9);
  assert.ok(mm < 8, `maximum ${mm.toFixed(1)} mm from the blob (at ${at})`);
  // Slices the query ignores carry (almost) no heat.
  let other = 0;
  for (let i = 0; i < v.length; i++)
    if (Math.floor(i / (nx * ny)) !== blob[2]) other = Math.max(other, v[i]!);
  assert.ok(other < 0.05, `other slices up to ${other}`);

  const img = PNG.sync.read(readFileSync(png));
  assert.equal(img.width, 4 * 128 + 3 * 2);
  assert.equal(img.height, 128);
  assert.deepEqual(heatmapPng(h, { topK: 4 }), new Uint8Array(readFileSync(png)));
});

test("rollout and a second plane: the maximum stays on the blob; coronal + axial still in the scan's geometry", async () => {
  const { vol, blob } = lpsScan();
  const m = handModel(["axial", "coronal"]);
  const h = await heatmapForScan(m, [vol], { rollout: true });
  assert.deepEqual(
    h.views.map((x) => x.plane),
    ["axial", "coronal"],
  );
  assert.equal(h.rollout, true);
  const v = h.volume.real();
  let arg = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[arg]!) arg = i;
  assert.equal(Math.floor(arg / (40 * 36)), blob[2]);
  assert.deepEqual(h.volume.shape, vol.shape);
  assert.deepEqual([...h.volume.affine], [...vol.affine]);
  await assert.rejects(heatmapForScan(m, [vol], { finding: "nope" }), /no finding "nope"/);
});

test("the native 3D path (a tiny ViT3D): CLS→3D-patch attention mapped back onto the scan's grid", async () => {
  const { vol } = lpsScan();
  const backbone = new Vit3d({
    in_channels: 1,
    hidden_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    mlp_ratio: 2,
    patch_size: [2, 8, 8],
  });
  backbone.freeze();
  const model = new Native3d(backbone, { findings: 2 });
  const m = handModel();
  m.built = { model } as LoadedTaskModel["built"];
  (m.config.data.preprocess as Record<string, unknown>).layout = "volume";
  const h = await heatmapForScan(m, [vol], { topK: 3 });
  assert.deepEqual(h.views[0]!.shape, [8, 32, 32]);
  assert.deepEqual(h.volume.shape, vol.shape);
  assert.deepEqual([...h.volume.affine], [...vol.affine]);
  const v = h.volume.real();
  assert.ok(Math.abs(Math.max(...v) - 1) < 1e-6 && Math.min(...v) >= 0);
  const d = h.views[0]!.data;
  assert.ok(
    d.some((x) => Math.abs(x - d[0]!) > 1e-6),
    "not constant",
  );
  const png = PNG.sync.read(Buffer.from(heatmapPng(h, { topK: 3 })));
  assert.equal(png.width, 3 * 128 + 2 * 2);
});
