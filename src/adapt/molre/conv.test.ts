// MoLRE on convolutions (the patch embedding): the base output at init, a plain-loop float64
// reference for 2D and 3D (strided, padded) convolutions with a non-uniform router, gradients of
// every expert and router tensor against finite differences, and the added-parameter counts —
// of the conv experts and of the documented sub-0.5 % preset on ViT-S, ViT-B and the demo ViT.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { gradCheck, randn, releaseSessions, type Value } from "../../engine/index.js";
import { backboneSpec } from "../../nn/checkpoints/configs.js";
import { buildBackbone } from "../../nn/checkpoints/hf.js";
import { BuildContext, Module, type Parameter } from "../../nn/index.js";
import { Conv } from "../../nn/layers/conv.js";
import { Vit3d } from "../../nn/nets/vit3d.js";
import { KNOWN_BACKBONES } from "../../nn/zoo.js";
import { adapterLayers } from "../base.js";
import { applyMethod, planMethod } from "../index.js";
import { maxAbsDiff, runModel } from "../toy-models.js";
import { MOLRE_LITE } from "./config.js";
import type { MolreLayer } from "./layer.js";

after(() => releaseSessions());

interface ConvCase {
  name: string;
  cin: number;
  cout: number;
  kernel: number[];
  stride: number[];
  padding: number[];
  input: number[];
}

const CASES: ConvCase[] = [
  {
    name: "2D patch 2×2 stride 2",
    cin: 2,
    cout: 3,
    kernel: [2, 2],
    stride: [2, 2],
    padding: [0, 0],
    input: [2, 2, 4, 4],
  },
  {
    name: "2D 3×3 padded",
    cin: 3,
    cout: 2,
    kernel: [3, 3],
    stride: [1, 1],
    padding: [1, 1],
    input: [2, 3, 3, 4],
  },
  {
    name: "3D 2³ stride 2 padded 1",
    cin: 2,
    cout: 3,
    kernel: [2, 2, 2],
    stride: [2, 2, 2],
    padding: [1, 1, 1],
    input: [2, 2, 3, 2, 4],
  },
];

class OneConv extends Module {
  constructor(c: ConvCase) {
    super();
    this.addModule("conv", new Conv(c.cin, c.cout, c.kernel, { stride: c.stride, padding: c.padding }));
  }
  forward(ctx: BuildContext, x: Value): Value {
    return this.getModule("conv").forward(ctx, x);
  }
}

function randomize(ps: Iterable<Parameter>, seed: number, scale = 0.5): void {
  let s = seed;
  for (const p of ps) p.data = Float32Array.from(randn(p.size, s++), (v) => v * scale);
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * Direct convolution in float64: x [B, C_in, …sp], w [C_out, C_in, …k], zero padding `pad` on both
 * sides of each axis, stride `st`; returns [B, C_out, …out] and the output spatial shape.
 */
function convRef(
  x: ArrayLike<number>,
  xs: number[],
  w: ArrayLike<number>,
  ws: number[],
  st: number[],
  pad: number[],
  bias?: ArrayLike<number>,
): { y: Float64Array; out: number[] } {
  const [bsz, cin] = xs as [number, number];
  const sp = xs.slice(2);
  const cout = ws[0] as number;
  const ker = ws.slice(2);
  const out = sp.map(
    (n, i) => Math.floor((n + 2 * (pad[i] as number) - (ker[i] as number)) / (st[i] as number)) + 1,
  );
  const nd = sp.length;
  const y = new Float64Array(bsz * cout * size(out));
  const idx = (coords: number[], shape: number[]) =>
    coords.reduce((a, c, i) => a * (shape[i] as number) + c, 0);
  const each = (shape: number[], f: (c: number[]) => void) => {
    const c = shape.map(() => 0);
    for (let n = 0; n < size(shape); n++) {
      f(c);
      for (let a = shape.length - 1; a >= 0; a--) {
        c[a] = (c[a] as number) + 1;
        if ((c[a] as number) < (shape[a] as number)) break;
        c[a] = 0;
      }
    }
  };
  for (let b = 0; b < bsz; b++)
    for (let o = 0; o < cout; o++)
      each(out, (oc) => {
        let acc = bias ? (bias[o] as number) : 0;
        for (let i = 0; i < cin; i++)
          each(ker, (kc) => {
            const pos = oc.map((v, a) => v * (st[a] as number) - (pad[a] as number) + (kc[a] as number));
            if (pos.some((p, a) => p < 0 || p >= (sp[a] as number))) return;
            acc += (w[idx([o, i, ...kc], ws)] as number) * (x[idx([b, i, ...pos], xs)] as number);
          });
        y[idx([b, o, ...oc], [bsz, cout, ...out])] = acc;
      });
  void nd;
  return { y, out };
}

/** MoLRE conv by hand: base + Σ_k g_k (α/r) B_k (A_k ∗ x), g = softmax(W_g · mean_spatial(x)). */
function molreConvRef(
  c: ConvCase,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array,
  as: Float32Array[],
  bs: Float32Array[],
  wg: Float32Array,
  r: number,
  scale: number,
): Float64Array {
  const base = convRef(x, c.input, w, [c.cout, c.cin, ...c.kernel], c.stride, c.padding, bias);
  const [bsz] = c.input as [number];
  const px = size(c.input.slice(2));
  const npos = size(base.out);
  const y = Float64Array.from(base.y);
  for (let b = 0; b < bsz; b++) {
    const mean = Array.from({ length: c.cin }, (_, i) => {
      let s = 0;
      for (let p = 0; p < px; p++) s += x[(b * c.cin + i) * px + p] as number;
      return s / px;
    });
    const logits = as.map((_, e) => mean.reduce((s, m, i) => s + (wg[e * c.cin + i] as number) * m, 0));
    const mx = Math.max(...logits);
    const ex = logits.map((l) => Math.exp(l - mx));
    const z = ex.reduce((p, q) => p + q, 0);
    as.forEach((a, e) => {
      const h = convRef(x, c.input, a, [r, c.cin, ...c.kernel], c.stride, c.padding).y; // [B, r, …out]
      const g = (ex[e] as number) / z;
      const be = bs[e] as Float32Array;
      for (let o = 0; o < c.cout; o++)
        for (let p = 0; p < npos; p++) {
          let acc = 0;
          for (let j = 0; j < r; j++)
            acc += (be[o * r + j] as number) * (h[(b * r + j) * npos + p] as number);
          const at = (b * c.cout + o) * npos + p;
          y[at] = (y[at] as number) + g * scale * acc;
        }
    });
  }
  return y;
}

test("MoLRE on a convolution starts as the base convolution (B = 0, uniform router)", async () => {
  for (const c of CASES) {
    const m = new OneConv(c);
    randomize(m.getModule("conv").params.values(), 3);
    const x = Float32Array.from(randn(size(c.input), 5));
    const before = (await runModel(m, c.input, x)).y as Float32Array;
    const s = applyMethod(m, { method: "molre", r: 2, numExperts: 3, targetModules: ["conv"] });
    assert.deepEqual(s.targets, ["conv"]);
    const after = (await runModel(m, c.input, x)).y as Float32Array;
    // Equal up to float rounding (ORT may fuse the base convolution differently in the larger graph).
    assert.ok(maxAbsDiff(before, after) < 1e-6, c.name);
  }
  // The patch embedding of a ViT3D, through the model's own forward (called by its path).
  const vit = new Vit3d({
    in_channels: 1,
    hidden_size: 12,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    mlp_ratio: 2,
    patch_size: [2, 2, 2],
  });
  randomize(vit.params.values(), 7, 0.1);
  const shape = [1, 1, 4, 4, 4];
  const x = Float32Array.from(randn(64, 9));
  const before = (await runModel(vit, shape, x)).y as Float32Array;
  const s = applyMethod(vit, { method: "molre", r: 2, numExperts: 2, targetModules: ["patch_embed"] });
  assert.deepEqual([s.targets, s.warnings.filter((w) => /skipped/.test(w))], [["patch_embed"], []]);
  assert.ok(maxAbsDiff(before, (await runModel(vit, shape, x)).y as Float32Array) < 1e-6);
});

for (const c of CASES) {
  test(`MoLRE conv (${c.name}) equals a float64 hand computation, and counts K·(|A|+|B|) + K·C_in`, async () => {
    const m = new OneConv(c);
    randomize(m.getModule("conv").params.values(), 11);
    const w = Float32Array.from(m.getParameter("conv.weight").data);
    const bias = Float32Array.from(m.getParameter("conv.bias").data);
    const [k, r, alpha] = [3, 2, 3];
    const s = applyMethod(m, {
      method: "molre",
      r,
      alpha,
      numExperts: k,
      init: "random",
      targetModules: ["conv"],
    });
    const kern = size(c.kernel);
    assert.equal(s.addedParams, k * (r * c.cin * kern + c.cout * r) + k * c.cin);
    const layer = m.getModule("conv") as MolreLayer;
    const p = layer.adapterParams("default");
    const as = [0, 1, 2].map((e) => (p.get(`molre_A.${e}.weight`) as Parameter).data);
    const bs = [0, 1, 2].map((e) => (p.get(`molre_B.${e}.weight`) as Parameter).data);
    assert.deepEqual((p.get("molre_A.0.weight") as Parameter).shape, [r, c.cin, ...c.kernel]);
    assert.deepEqual((p.get("molre_B.0.weight") as Parameter).shape, [c.cout, r, ...c.kernel.map(() => 1)]);
    const wgp = p.get("molre_router.weight") as Parameter;
    // A router that clearly prefers some experts, so a wrong gate would show.
    wgp.data = Float32Array.from(randn(wgp.size, 4), (v) => 2 * v);
    const x = Float32Array.from(randn(size(c.input), 21), (v) => v + 0.5);
    const y = (await runModel(m, c.input, x)).y as Float32Array;
    const want = molreConvRef(c, x, w, bias, as, bs, wgp.data, r, alpha / r);
    assert.ok(maxAbsDiff(y, want) < 1e-4, `${maxAbsDiff(y, want)}`);
    // With uniform gates the result differs: the router matters.
    const uniform = molreConvRef(c, x, w, bias, as, bs, new Float32Array(wgp.size), r, alpha / r);
    assert.ok(maxAbsDiff(want, uniform) > 1e-3);
    // K > 1 cannot be merged (the gates depend on the input).
    assert.throws(() => layer.merge(), /cannot be merged/);
  });
}

test("K = 1 on a convolution merges into the kernel (merged = unmerged)", async () => {
  const c = CASES[2] as ConvCase;
  const m = new OneConv(c);
  randomize(m.getModule("conv").params.values(), 2);
  applyMethod(m, { method: "molre", r: 2, numExperts: 1, init: "random", targetModules: ["conv"] });
  const x = Float32Array.from(randn(size(c.input), 8));
  const y = (await runModel(m, c.input, x)).y as Float32Array;
  const [, layer] = adapterLayers(m)[0] as [string, MolreLayer];
  layer.merge();
  assert.ok(maxAbsDiff((await runModel(m, c.input, x)).y as Float32Array, y) < 1e-5);
});

/** Builds the model with chosen parameters replaced by the check's inputs. */
class OverrideContext extends BuildContext {
  constructor(
    root: Module,
    graph: BuildContext["graph"],
    private readonly overrides: Map<Parameter, Value>,
  ) {
    super(root, { graph });
  }

  override param(p: Parameter): Value {
    return this.overrides.get(p) ?? super.param(p);
  }
}

test("gradients of a MoLRE conv (input, experts, router) match central finite differences", async () => {
  // ORT's CPU provider has no float64 Conv: the check runs in float32 with a step and tolerances
  // to match (gradCheck's float32 defaults).
  const c = CASES[0] as ConvCase;
  const m = new OneConv(c);
  randomize(m.getModule("conv").params.values(), 13);
  applyMethod(m, { method: "molre", r: 2, numExperts: 2, init: "random", targetModules: ["conv"] });
  const layer = m.getModule("conv") as MolreLayer;
  const params = layer.adapterParams("default");
  randomize([params.get("molre_router.weight") as Parameter], 17, 1);
  const inputs: Record<string, { shape: number[]; data: ArrayLike<number> }> = {
    x: { shape: c.input, data: randn(size(c.input), 19) },
  };
  for (const [k, p] of params) inputs[k] = { shape: p.shape, data: p.data };
  const rep = await gradCheck(
    inputs,
    (v) => {
      const overrides = new Map<Parameter, Value>();
      for (const [k, p] of params) overrides.set(p, v[k] as Value);
      return m.forward(new OverrideContext(m, (v.x as Value).graph, overrides), v.x as Value);
    },
    { dtype: "float32" },
  );
  assert.deepEqual(rep.failures, []);
  assert.ok(rep.worstGrad <= 1);
});

/** q/v adapted layers' count by hand: per layer K·r·(D + D) + K·D. */
const perLayer = (d: number, k: number, r: number) => k * r * (d + d) + k * d;

function zoo(name: string): () => Module {
  const b = KNOWN_BACKBONES.find((x) => x.name === name);
  if (!b) throw new Error(`no zoo backbone ${name}`);
  return b.build;
}

test("the MOLRE_LITE preset (K 4, r 2 on v) stays below 0.5 % on ViT-S and ViT-B; the small demo ViT is above", () => {
  assert.deepEqual(
    [MOLRE_LITE.num_experts, MOLRE_LITE.r, MOLRE_LITE.molre_alpha, MOLRE_LITE.target_modules],
    [4, 2, 4, ["value", "v_proj"]],
  );
  const rows: [string, number, number, () => Module][] = [
    ["dinov2-small", 384, 12, zoo("dinov2-small")],
    ["dinov2-base", 768, 12, zoo("dinov2-base")],
    ["dinov3-vits16", 384, 12, zoo("dinov3-vits16")],
    ["dinov3-vitb16", 768, 12, zoo("dinov3-vitb16")],
    [
      "demo ViT (width 96, 4 layers, patch 8, 64²)",
      96,
      4,
      () =>
        buildBackbone(
          backboneSpec(
            {
              model_type: "dinov2",
              hidden_size: 96,
              num_hidden_layers: 4,
              num_attention_heads: 3,
              mlp_ratio: 4,
              patch_size: 8,
              image_size: 64,
              num_channels: 3,
            },
            "demo",
          ),
        ),
    ],
  ];
  const fractions: Record<string, number> = {};
  for (const [name, d, layers, build] of rows) {
    const model = build();
    const backbone = model.parameterCount();
    const s = planMethod(model, { method: "molre", ...MOLRE_LITE });
    assert.equal(s.targets.length, layers, name);
    assert.equal(s.addedParams, layers * perLayer(d, 4, 2), name);
    assert.equal(s.backboneParams, backbone, name);
    fractions[name] = s.addedParams / backbone;
  }
  for (const n of ["dinov2-small", "dinov2-base", "dinov3-vits16", "dinov3-vitb16"])
    assert.ok((fractions[n] as number) < 0.005, `${n}: ${fractions[n]}`);
  // 4·1920 = 7680 added over ≈ 0.46 M: the demo ViT is too small for the 0.5 % budget.
  assert.ok((fractions["demo ViT (width 96, 4 layers, patch 8, 64²)"] as number) > 0.005);
  // The default (K 4, r 4 on q and v) is above 0.5 % on both ViT sizes.
  const vitB = zoo("dinov2-base")();
  assert.ok(planMethod(vitB, { method: "molre" }).fraction > 0.005);
});
