// MoLRE: uniform router at init, K = 1 equals LoRA, outputs against a plain-loop reference for
// image and token routing, the load-balancing loss and router statistics against their
// definitions, gradients against finite differences, and the PEFT-like save/load round trip.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import { tempDir } from "../../../test/paths.js";
import { cast, gradCheck, randn, releaseSessions, type Value } from "../../engine/index.js";
import { readSafetensors } from "../../io/safetensors/index.js";
import { BuildContext, Linear, Module, type Parameter } from "../../nn/index.js";
import { adapterLayers } from "../base.js";
import { applyMethod, loadAdapter, saveAdapter } from "../index.js";
import { maxAbsDiff, runModel, ToyDinov2 } from "../toy-models.js";
import type { MolreLayer } from "./layer.js";
import { loadBalanceLoss, routerRecords, routerReport, routerStats } from "./router.js";

after(() => releaseSessions());

const TOK = [2, 4, 8];
const tokens = Float32Array.from(randn(64, 9));

function toy(seed = 1): ToyDinov2 {
  const m = new ToyDinov2();
  let s = seed;
  for (const [, p] of m.namedParameters()) p.data = Float32Array.from(randn(p.size, s++), (v) => v * 0.3);
  return m;
}

function randomize(ps: Iterable<Parameter>, seed: number, scale = 0.5): void {
  let s = seed;
  for (const p of ps) p.data = Float32Array.from(randn(p.size, s++), (v) => v * scale);
}

test("at init the router is uniform (g = 1/K, entropy log K, load balance 1·weight) and the output unchanged", async () => {
  const m = toy();
  const before = (await runModel(m, TOK, tokens)).y as Float32Array;
  applyMethod(m, { method: "molre", r: 2, numExperts: 4, routing: "token" });
  const out = await runModel(m, TOK, tokens, (ctx) => ({
    ...routerStats(ctx.graph),
    lb: loadBalanceLoss(ctx.graph, 0.01) as Value,
  }));
  assert.ok(maxAbsDiff(before, out.y as Float32Array) < 1e-6);
  const rows = routerReport(out);
  assert.deepEqual(
    rows.map((r) => r.layer),
    ["encoder.layer.0.attention.attention.query", "encoder.layer.0.attention.attention.value"],
  );
  for (const r of rows) {
    assert.ok(Math.abs(r.entropy - Math.log(4)) < 1e-6);
    for (const u of r.usage) assert.ok(Math.abs(u - 0.25) < 1e-7);
  }
  assert.ok(Math.abs(((out.lb as Float32Array)[0] as number) - 0.01) < 1e-8);
});

test("K = 1 equals LoRA with the same A and B; K = 1 merges, K > 1 refuses", async () => {
  const lora = toy(3);
  const molre = toy(3);
  applyMethod(lora, { method: "lora", r: 2, alpha: 5, targetModules: ["query", "value"] });
  applyMethod(molre, { method: "molre", r: 2, alpha: 5, numExperts: 1, targetModules: ["query", "value"] });
  for (const [path, l] of adapterLayers(lora)) {
    const p = l.adapterParams("default");
    randomize([p.get("lora_B.weight") as Parameter], path.length);
    const q = (molre.getModule(path) as MolreLayer).adapterParams("default");
    (q.get("molre_A.0.weight") as Parameter).data.set((p.get("lora_A.weight") as Parameter).data);
    (q.get("molre_B.0.weight") as Parameter).data.set((p.get("lora_B.weight") as Parameter).data);
  }
  const a = (await runModel(lora, TOK, tokens)).y as Float32Array;
  const b = (await runModel(molre, TOK, tokens)).y as Float32Array;
  assert.equal(maxAbsDiff(a, b), 0);
  const base = toy(3);
  assert.ok(maxAbsDiff(a, (await runModel(base, TOK, tokens)).y as Float32Array) > 1e-4);
  for (const [, l] of adapterLayers(molre)) l.merge();
  const merged = (await runModel(molre, TOK, tokens)).y as Float32Array;
  assert.ok(maxAbsDiff(a, merged) < 1e-5);
  const k2 = toy();
  applyMethod(k2, { method: "molre", numExperts: 2 });
  const [, first] = adapterLayers(k2)[0] as [string, MolreLayer];
  assert.throws(() => first.merge(), /cannot be merged/);
});

/** A plain-loop MoLRE linear in float64: W0 x + b + Σ_k g_k (α/r) B_k A_k x. */
function reference(
  x: Float32Array,
  [bsz, n, din]: number[],
  w: Float32Array,
  bias: Float32Array,
  as: Float32Array[],
  bs: Float32Array[],
  wg: Float32Array,
  r: number,
  scale: number,
  routing: "image" | "token",
): Float64Array {
  const k = as.length;
  const dout = bias.length;
  const y = new Float64Array(bsz * n * dout);
  for (let b = 0; b < bsz; b++) {
    const mean = new Float64Array(din);
    for (let t = 0; t < n; t++)
      for (let i = 0; i < din; i++) mean[i] = (mean[i] as number) + (x[(b * n + t) * din + i] as number) / n;
    for (let t = 0; t < n; t++) {
      const xt = x.subarray((b * n + t) * din, (b * n + t + 1) * din);
      const src = routing === "image" ? mean : xt;
      const logits = Array.from({ length: k }, (_, e) => {
        let s = 0;
        for (let i = 0; i < din; i++) s += (wg[e * din + i] as number) * (src[i] as number);
        return s;
      });
      const mx = Math.max(...logits);
      const ex = logits.map((l) => Math.exp(l - mx));
      const z = ex.reduce((p, q) => p + q, 0);
      for (let o = 0; o < dout; o++) {
        let acc = bias[o] as number;
        for (let i = 0; i < din; i++) acc += (w[o * din + i] as number) * (xt[i] as number);
        for (let e = 0; e < k; e++) {
          for (let j = 0; j < r; j++) {
            let ax = 0;
            for (let i = 0; i < din; i++)
              ax += ((as[e] as Float32Array)[j * din + i] as number) * (xt[i] as number);
            acc += ((ex[e] as number) / z) * scale * ((bs[e] as Float32Array)[o * r + j] as number) * ax;
          }
        }
        y[(b * n + t) * dout + o] = acc;
      }
    }
  }
  return y;
}

for (const routing of ["image", "token"] as const) {
  test(`${routing} routing: a MoLRE linear equals a plain-loop reference`, async () => {
    class Holder extends Module {
      constructor() {
        super();
        this.addModule("proj", new Linear(8, 6));
      }
      forward(ctx: BuildContext, x: Value): Value {
        return this.getModule("proj").forward(ctx, x);
      }
    }
    const m = new Holder();
    randomize(m.getModule("proj").params.values(), 11);
    const w = Float32Array.from(m.getParameter("proj.weight").data);
    const bias = Float32Array.from(m.getParameter("proj.bias").data);
    applyMethod(m, {
      method: "molre",
      r: 2,
      alpha: 3,
      numExperts: 3,
      routing,
      init: "random",
      targetModules: ["proj"],
    });
    const layer = m.getModule("proj") as MolreLayer;
    const p = layer.adapterParams("default");
    const as = [0, 1, 2].map((e) => (p.get(`molre_A.${e}.weight`) as Parameter).data);
    const bs = [0, 1, 2].map((e) => (p.get(`molre_B.${e}.weight`) as Parameter).data);
    const wg = (p.get("molre_router.weight") as Parameter).data;
    assert.ok(wg.some((v) => v !== 0));
    const shape = [2, 5, 8];
    const x = Float32Array.from(randn(80, 21));
    const y = (await runModel(m, shape, x)).y as Float32Array;
    const want = reference(x, shape, w, bias, as, bs, wg, 2, 1.5, routing);
    assert.ok(maxAbsDiff(y, want) < 1e-5, `${maxAbsDiff(y, want)}`);
    // The two routings differ once the router is not uniform.
    const other = reference(x, shape, w, bias, as, bs, wg, 2, 1.5, routing === "image" ? "token" : "image");
    assert.ok(maxAbsDiff(want, other) > 1e-4);
  });
}

test("load-balancing loss, entropy and usage equal their definitions on the gate values", async () => {
  const m = toy(5);
  applyMethod(m, {
    method: "molre",
    numExperts: 3,
    routing: "token",
    init: "random",
    targetModules: ["query"],
  });
  const out = await runModel(m, TOK, tokens, (ctx) => ({
    ...routerStats(ctx.graph),
    lb: loadBalanceLoss(ctx.graph, 0.5) as Value,
    gates: (routerRecords(ctx.graph)[0] as { gates: Value }).gates,
  }));
  const g = out.gates as Float32Array;
  const [u, k] = [8, 3];
  assert.equal(g.length, u * k);
  const p = [0, 0, 0];
  const f = [0, 0, 0];
  let ent = 0;
  for (let i = 0; i < u; i++) {
    const row = [...g.subarray(i * k, i * k + k)];
    const top = row.indexOf(Math.max(...row));
    f[top] = (f[top] as number) + 1 / u;
    for (let e = 0; e < k; e++) {
      p[e] = (p[e] as number) + (row[e] as number) / u;
      ent -= ((row[e] as number) * Math.log(row[e] as number)) / u;
    }
  }
  const lb = 0.5 * k * p.reduce((s, pe, e) => s + pe * (f[e] as number), 0);
  assert.ok(Math.abs(((out.lb as Float32Array)[0] as number) - lb) < 1e-6);
  const [row] = routerReport(out);
  assert.ok(Math.abs((row?.entropy as number) - ent) < 1e-6);
  assert.ok(maxAbsDiff(row?.usage as number[], p) < 1e-6);
  assert.ok(ent < Math.log(3) - 1e-4, "a random router is not uniform");
});

/** Builds the model in float64: chosen parameters become the check's inputs, the rest are cast. */
class F64Context extends BuildContext {
  constructor(
    root: Module,
    graph: BuildContext["graph"],
    private readonly overrides: Map<Parameter, Value>,
  ) {
    super(root, { graph });
  }

  override param(p: Parameter): Value {
    return this.overrides.get(p) ?? cast(super.param(p), "float64");
  }
}

for (const routing of ["token", "image"] as const) {
  test(`gradients through a ViT block with MoLRE on q and v (${routing} routing) match finite differences`, async () => {
    const m = toy(7);
    applyMethod(m, {
      method: "molre",
      r: 2,
      numExperts: 2,
      routing,
      init: "random",
      targetModules: ["query", "value"],
    });
    const adapterParams = new Map<string, Parameter>();
    for (const [path, l] of adapterLayers(m))
      for (const [k, p] of l.adapterParams("default")) adapterParams.set(`${path.split(".").at(-1)}.${k}`, p);
    const inputs: Record<string, { shape: number[]; data: ArrayLike<number> }> = {
      x: { shape: TOK, data: tokens },
    };
    for (const [k, p] of adapterParams) inputs[k] = { shape: p.shape, data: p.data };
    const rep = await gradCheck(inputs, (v) => {
      const overrides = new Map<Parameter, Value>();
      for (const [k, p] of adapterParams) overrides.set(p, v[k] as Value);
      const ctx = new F64Context(m, (v.x as Value).graph, overrides);
      return m.forward(ctx, v.x as Value);
    });
    assert.deepEqual(rep.failures, []);
    assert.ok(rep.worstGrad <= 1);
  });
}

test("save → load round trip in the PEFT-like layout (keys molre_A.<k>, molre_B.<k>, molre_router)", async (t) => {
  const m = toy(2);
  applyMethod(m, {
    method: "molre",
    r: 2,
    numExperts: 2,
    routing: "token",
    init: "random",
    targetModules: ["query", "value"],
    modulesToSave: ["classifier"],
  });
  const dir = tempDir(t);
  await saveAdapter(m, dir);
  const f = await readSafetensors(join(dir, "adapter_model.safetensors"));
  const q = "base_model.model.encoder.layer.0.attention.attention.query";
  const v = "base_model.model.encoder.layer.0.attention.attention.value";
  const keys = (p: string) => [
    `${p}.molre_A.0.weight`,
    `${p}.molre_A.1.weight`,
    `${p}.molre_B.0.weight`,
    `${p}.molre_B.1.weight`,
    `${p}.molre_router.weight`,
  ];
  assert.deepEqual(
    f.names().sort(),
    [...keys(q), ...keys(v), "base_model.model.classifier.bias", "base_model.model.classifier.weight"].sort(),
  );
  assert.deepEqual(f.info(`${q}.molre_router.weight`).shape, [2, 8]);
  assert.deepEqual(f.info(`${q}.molre_B.1.weight`).shape, [8, 2]);
  await f.close();
  const cfg = JSON.parse(await readFile(join(dir, "adapter_config.json"), "utf8"));
  assert.equal(cfg.peft_type, "MOLRE");
  assert.deepEqual(
    [cfg.r, cfg.num_experts, cfg.routing, cfg.molre_alpha, cfg.temperature],
    [2, 2, "token", 4, 1],
  );

  const back = toy(2);
  await loadAdapter(back, dir);
  for (const [k, p] of m.namedParameters()) assert.deepEqual([...back.getParameter(k).data], [...p.data], k);
  const a = (await runModel(m, TOK, tokens)).y as Float32Array;
  const b = (await runModel(back, TOK, tokens)).y as Float32Array;
  assert.equal(maxAbsDiff(a, b), 0);
});
