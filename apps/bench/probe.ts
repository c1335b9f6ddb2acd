// How much a backbone's frozen features say about the findings: a linear probe (per-finding
// L2-regularised logistic regression on z-scored scan features, stratified 5-fold cross-validation over the
// manifest's scans, out-of-fold probabilities) of slice features averaged over each scan's axial
// slices — the layernormed CLS token (what the demo's frozen mean-pooling baseline sees) and the
// mean of the patch tokens — for a Hugging Face backbone folder and for random-init backbones of
// the same architecture. Mean ROC AUC over the findings with ≥ --min-pos positives and negatives.
// Usage: npm run bench:probe -- --manifest M --backbone DIR [--json] [--folds 5] [--lambda 0.1]
//        [--min-pos 10] [--seed 0] [--init-std 0.3] [--findings a,b,…] [--dump FEATURES.json]
// --dump writes every feature set and the labels, to cross-check the probe with another library.
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { nn, prepareCase, preprocessConfig, readManifest, rocAuc } from "../../src/index.js";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    manifest: { type: "string" },
    backbone: { type: "string" },
    folds: { type: "string", default: "5" },
    lambda: { type: "string", default: "0.1" },
    "min-pos": { type: "string", default: "10" },
    seed: { type: "string", default: "0" },
    "init-std": { type: "string", default: "0.3" },
    dump: { type: "string" },
    findings: { type: "string" },
    "pretrained-only": { type: "boolean", default: false },
  },
});
if (!values.manifest || !values.backbone) {
  process.stderr.write("usage: bench:probe -- --manifest M --backbone DIR [--json]\n");
  process.exit(2);
}
const folds = Number(values.folds);
const lambda = Number(values.lambda);
const minPos = Number(values["min-pos"]);
const seed = Number(values.seed);
const initStd = Number(values["init-std"]);
const t0 = performance.now();
const load0 = loadavg()[0] as number;

const manifest = await readManifest(values.manifest);
const loaded = await nn.loadBackbone(values.backbone);
const size = loaded.imageSize;
const pre = preprocessConfig({ size: [size, size], planes: ["axial"] });
const cases = manifest.cases;
const images: Float32Array[] = [];
let shape: number[] = [];
for (const c of cases) {
  const v = (await prepareCase(c, pre)).input.views[0]!;
  images.push(v.data);
  shape = v.shape;
}
const [S] = shape as [number];

/** Scan features [N, D] × 2 (CLS mean, patch-token mean) of one backbone. */
async function features(model: nn.VisionBackbone): Promise<{ cls: Float64Array[]; patch: Float64Array[] }> {
  const cls: Float64Array[] = [];
  const patch: Float64Array[] = [];
  for (const img of images) {
    const e = await nn.embedPixels(model, img, shape, { batch: S });
    const [, T, D] = e.lastShape;
    const c = new Float64Array(D);
    const p = new Float64Array(D);
    for (let s = 0; s < S; s++)
      for (let d = 0; d < D; d++) {
        c[d]! += (e.poolerOutput[s * D + d] as number) / S;
        for (let t = 1; t < T; t++)
          p[d]! += (e.lastHiddenState[(s * T + t) * D + d] as number) / (S * (T - 1));
      }
    cls.push(c);
    patch.push(p);
  }
  return { cls, patch };
}

/**
 * No backbone at all: each window channel average-pooled to an 8 × 8 grid and averaged over the
 * slices (3 × 64 features), to show what plain intensities already tell the probe.
 */
function pixelFeatures(): Float64Array[] {
  const [, C, H, W] = shape as [number, number, number, number];
  const g = 8;
  return images.map((img) => {
    const f = new Float64Array(C * g * g);
    for (let s = 0; s < S; s++)
      for (let c = 0; c < C; c++)
        for (let y = 0; y < H; y++)
          for (let x = 0; x < W; x++)
            f[(c * g + Math.floor((y * g) / H)) * g + Math.floor((x * g) / W)]! +=
              (img[((s * C + c) * H + y) * W + x] as number) / ((S * H * W) / (g * g));
    return f;
  });
}

function randomBackbone(std: number | null): nn.VisionBackbone {
  nn.resetInitSeed(seed + 1);
  const m = nn.buildBackbone(loaded.spec);
  if (std !== null) {
    let i = 0;
    for (const [name, p] of m.namedParameters())
      if (!/(norm|bias)/.test(name)) p.data = nn.normalInit(p.size, std, (seed + 1) * 7919 + i++);
  }
  return m.freeze();
}

/** Out-of-fold probabilities of an L2 logistic regression per label column. */
function probe(x: Float64Array[], y: number[]): number[] {
  const n = x.length;
  const d = (x[0] as Float64Array).length;
  const out = new Array<number>(n).fill(0);
  // Stratified folds (positives and negatives dealt round-robin, as scikit-learn's StratifiedKFold
  // without shuffling): with plain folds each fold's intercept follows its own prevalence, which
  // pushes pooled out-of-fold AUCs below 0.5 when a feature set carries no signal.
  const fold = new Array<number>(n);
  const seen = [0, 0];
  for (let i = 0; i < n; i++) fold[i] = seen[y[i] as number]!++ % folds;
  for (let f = 0; f < folds; f++) {
    const train = [...Array(n).keys()].filter((i) => fold[i] !== f);
    const test = [...Array(n).keys()].filter((i) => fold[i] === f);
    // z-score with the training fold's statistics
    const mu = new Float64Array(d);
    const sd = new Float64Array(d);
    for (const i of train) for (let j = 0; j < d; j++) mu[j]! += (x[i] as Float64Array)[j]! / train.length;
    for (const i of train)
      for (let j = 0; j < d; j++) sd[j]! += ((x[i] as Float64Array)[j]! - mu[j]!) ** 2 / train.length;
    for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]!) + 1e-8;
    const z = (i: number) => Float64Array.from(x[i] as Float64Array, (v, j) => (v - mu[j]!) / sd[j]!);
    const zt = train.map(z);
    // Step 1/L with L = ¼·λmax(ZᵀZ/n) + λ, the gradient's Lipschitz constant (λmax by power
    // iteration): features of a ViT are strongly correlated, so a fixed step would diverge.
    let v = new Float64Array(d).fill(1 / Math.sqrt(d));
    let lmax = 0;
    for (let it = 0; it < 50; it++) {
      const u = new Float64Array(d);
      for (const zi of zt) {
        let s = 0;
        for (let j = 0; j < d; j++) s += zi[j]! * v[j]!;
        for (let j = 0; j < d; j++) u[j]! += (s * zi[j]!) / zt.length;
      }
      lmax = Math.sqrt(u.reduce((a, x) => a + x * x, 0));
      v = u.map((x) => x / (lmax || 1));
    }
    const lr = 1 / (0.25 * lmax + lambda);
    const w = new Float64Array(d);
    let b = 0;
    // Full-batch gradient descent on mean BCE + λ/2·|w|² (strongly convex, so it converges).
    for (let it = 0; it < 800; it++) {
      const gw = new Float64Array(d);
      let gb = 0;
      zt.forEach((zi, k) => {
        let s = b;
        for (let j = 0; j < d; j++) s += w[j]! * zi[j]!;
        const r = 1 / (1 + Math.exp(-s)) - (y[train[k]!] as number);
        for (let j = 0; j < d; j++) gw[j]! += (r * zi[j]!) / zt.length;
        gb += r / zt.length;
      });
      for (let j = 0; j < d; j++) w[j]! -= lr * (gw[j]! + lambda * w[j]!);
      b -= Math.min(lr, 4) * gb;
    }
    for (const i of test) {
      const zi = z(i);
      let s = b;
      for (let j = 0; j < d; j++) s += w[j]! * zi[j]!;
      out[i] = s;
    }
  }
  return out;
}

const findings = manifest.findings
  .map((name, j) => ({ name, j, y: cases.map((c) => c.labels[j] as number) }))
  .filter((f) => {
    const pos = f.y.filter((v) => v === 1).length;
    const neg = f.y.filter((v) => v === 0).length;
    const chosen = values.findings === undefined || values.findings.split(",").includes(f.name);
    return chosen && pos >= minPos && neg >= minPos && pos + neg === cases.length;
  });

function evaluate(x: Float64Array[]): { mean: number; perFinding: Record<string, number> } {
  const perFinding: Record<string, number> = {};
  for (const f of findings) perFinding[f.name] = rocAuc(f.y, probe(x, f.y)) as number;
  const v = Object.values(perFinding);
  return { mean: v.reduce((a, b) => a + b, 0) / v.length, perFinding };
}

const dumped: Record<string, number[][]> = {};
const rows: { backbone: string; cls: number; patch: number; perFinding: Record<string, number> }[] = [];
const variants: [string, () => nn.VisionBackbone][] = [
  [`pretrained (${values.backbone})`, () => loaded.model],
  ["random init (architecture's init, std 0.02)", () => randomBackbone(null)],
  [`random init (std ${initStd})`, () => randomBackbone(initStd)],
];
for (const [label, make] of values["pretrained-only"] ? variants.slice(0, 1) : variants) {
  const feats = await features(make());
  dumped[`${label} CLS`] = feats.cls.map((f) => Array.from(f));
  dumped[`${label} patch`] = feats.patch.map((f) => Array.from(f));
  const cls = evaluate(feats.cls);
  const patch = evaluate(feats.patch);
  rows.push({ backbone: label, cls: cls.mean, patch: patch.mean, perFinding: cls.perFinding });
  process.stderr.write(`${label}: CLS ${cls.mean.toFixed(4)}  patch mean ${patch.mean.toFixed(4)}\n`);
}

if (!values["pretrained-only"]) {
  const pf = pixelFeatures();
  dumped.pixels = pf.map((f) => Array.from(f));
  const px = evaluate(pf);
  rows.push({
    backbone: "no backbone: 8×8-pooled window intensities",
    cls: px.mean,
    patch: px.mean,
    perFinding: px.perFinding,
  });
  process.stderr.write(`pixels: ${px.mean.toFixed(4)}\n`);
}

if (values.dump)
  writeFileSync(
    values.dump,
    JSON.stringify({
      features: dumped,
      labels: Object.fromEntries(findings.map((f) => [f.name, f.y])),
      folds,
      lambda,
    }),
  );

const result = {
  bench: "probe",
  manifest: values.manifest,
  scans: cases.length,
  slices: S,
  findings: findings.map((f) => f.name),
  folds,
  lambda,
  rows,
  seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
  load: [load0, loadavg()[0]],
};
if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  process.stdout.write(
    `linear probe, ${cases.length} scans × ${S} slices, ${findings.length} findings, ${folds}-fold CV, λ ${lambda}\n`,
  );
  process.stdout.write(`${"backbone".padEnd(48)} mean AUC (CLS)  mean AUC (patch mean)\n`);
  for (const r of rows)
    process.stdout.write(
      `${r.backbone.padEnd(48)} ${r.cls.toFixed(4).padStart(14)}  ${r.patch.toFixed(4).padStart(20)}\n`,
    );
}
