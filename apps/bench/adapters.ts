// bench:adapters — a MoLRE training step (default K = 4, r = 4 on q and v) on a DINOv2-layout
// ViT-B/16 at 224², batch 16, against the frozen forward of the same model: step time, GFLOPS
// (forward FLOPs 2·B·L·(12·N·D² + 2·N²·D)), step-to-forward ratio, peak RSS, added fraction.
// Usage: node dist/apps/bench/adapters.js [--size b|s] [--batch 16] [--image 224] [--k 4] [--r 4]
//        [--routing image,token] [--layers 12] [--reps 2] [--threads 2] [--json]
import { spawnSync } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { adapt, applyMethod, engine as E, nn } from "../../src/index.js";

const { values: a } = parseArgs({
  options: {
    size: { type: "string", default: "b" },
    batch: { type: "string", default: "16" },
    image: { type: "string", default: "224" },
    k: { type: "string", default: "4" },
    r: { type: "string", default: "4" },
    routing: { type: "string", default: "image,token" },
    layers: { type: "string", default: "12" },
    reps: { type: "string", default: "2" },
    threads: { type: "string", default: "2" },
    json: { type: "boolean", default: false },
    phase: { type: "string" },
  },
});

const SIZES = { b: { dim: 768, heads: 12 }, s: { dim: 384, heads: 6 } } as const;
const size = SIZES[a.size as keyof typeof SIZES];
if (!size) throw new Error(`--size must be b or s, got ${a.size}`);
const [B, IMG, K, R, L, reps] = [a.batch, a.image, a.k, a.r, a.layers, a.reps].map(Number) as number[];
const routings = String(a.routing).split(",") as ("image" | "token")[];
const D = size.dim;
const P = 16;
const N = (IMG / P) ** 2 + 1;
const CLASSES = 75;
const flops = 2 * B * L * (12 * N * D ** 2 + 2 * N ** 2 * D);
const runtime = { intraOpThreads: Number(a.threads), interOpThreads: 1 };
const log = (s: string) => (a.json ? process.stderr.write(`${s}\n`) : console.log(s));
const rssMB = () => process.resourceUsage().maxRSS / 1024;

/** Backbone + linear head, so the step trains what MoLRE training trains (adapters and head). */
class Classifier extends nn.Module {
  readonly backbone: nn.Dinov2Model;
  constructor() {
    super();
    this.backbone = this.addModule(
      "backbone",
      new nn.Dinov2Model({
        hidden_size: D,
        num_hidden_layers: L,
        num_attention_heads: size.heads,
        mlp_ratio: 4,
        hidden_act: "gelu",
        layer_norm_eps: 1e-6,
        image_size: IMG,
        patch_size: P,
        num_channels: 3,
        qkv_bias: true,
        layerscale_value: 1,
        use_swiglu_ffn: false,
        use_mask_token: false,
      }),
    );
    this.addModule("classifier", new nn.Linear(D, CLASSES));
  }
  forward(ctx: nn.BuildContext, x: E.Value): E.Value {
    return this.getModule("classifier").forward(ctx, this.backbone.embed(ctx, x).poolerOutput);
  }
}

const image = Float32Array.from(E.randn(B * 3 * IMG * IMG, 5));
const targets = Float32Array.from(E.randn(B * CLASSES, 6), (v) => (v > 1.28 ? 1 : 0));

/** Wall and CPU seconds (ORT's threads included) per run, after a warm-up run. */
async function timeit(fn: () => Promise<unknown>): Promise<{ s: number; cpu: number }> {
  await fn(); // warm-up: the first run allocates ORT's arenas
  const c = process.cpuUsage();
  const t = performance.now();
  for (let i = 0; i < reps; i++) await fn();
  const used = process.cpuUsage(c);
  return { s: (performance.now() - t) / reps / 1000, cpu: (used.user + used.system) / 1e6 / reps };
}

interface PhaseResult {
  phase: string;
  s: number;
  cpu: number;
  compile: number;
  rss: number;
  summary?: adapt.ParamSummary;
  entropy?: number;
}

async function forward(): Promise<PhaseResult> {
  const model = new Classifier().freeze();
  const ctx = new nn.BuildContext(model);
  const logits = model.forward(ctx, ctx.graph.input("image", [B, 3, IMG, IMG]));
  const t0 = performance.now();
  const prog = await E.compile({ logits }, runtime);
  const compile = (performance.now() - t0) / 1000;
  const t = await timeit(() => prog.run({ image }));
  return { phase: "forward", ...t, compile, rss: rssMB() };
}

async function step(routing: "image" | "token"): Promise<PhaseResult> {
  const model = new Classifier();
  const summary = applyMethod(model, {
    method: "molre",
    r: R,
    numExperts: K,
    routing,
    modulesToSave: ["classifier"],
  });
  const ctx = new nn.BuildContext(model, { training: true });
  const logits = model.forward(ctx, ctx.graph.input("image", [B, 3, IMG, IMG]));
  const y = ctx.graph.input("targets", [B, CLASSES]);
  const lb = adapt.loadBalanceLoss(ctx.graph, 0.01) as E.Value;
  const loss = E.add(E.focalLoss(logits, y), lb);
  const stats = adapt.routerStats(ctx.graph);
  const t0 = performance.now();
  const st = await E.compileTrainStep(loss, { ...runtime, extra: stats });
  const compile = (performance.now() - t0) / 1000;
  const opt = new E.AdamW(ctx.graph.trainableValues(), { lr: 1e-4 });
  let entropy = 0;
  const t = await timeit(async () => {
    const { grads, outputs } = await st.run({ image, targets });
    opt.step(grads);
    const rows = adapt.routerReport(outputs);
    entropy = rows.reduce((acc, r) => acc + r.entropy, 0) / rows.length;
  });
  return { phase: routing, ...t, compile, rss: rssMB(), summary, entropy };
}

// Each phase runs in its own process, so its peak RSS is its own.
if (a.phase) {
  const r = a.phase === "forward" ? await forward() : await step(a.phase as "image" | "token");
  console.log(JSON.stringify(r));
  process.exit(0);
}

log(
  `MoLRE step on DINOv2-layout ViT-${a.size?.toUpperCase()}/16: D=${D} L=${L} N=${N} batch ${B}, ${IMG}², K=${K} r=${R} on q,v; ${runtime.intraOpThreads} threads, ${reps} reps after a warm-up; one process per phase`,
);
function runPhase(phase: string): PhaseResult {
  const args = process.argv.slice(2).filter((x) => x !== "--json");
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...args, "--phase", phase], {
    encoding: "utf8",
    maxBuffer: 1 << 24,
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (child.status !== 0) throw new Error(`phase ${phase} failed (exit ${child.status})`);
  return JSON.parse(child.stdout.trim().split("\n").at(-1) as string) as PhaseResult;
}
const load0 = loadavg();
const fwd = runPhase("forward");
log(
  `forward: ${fwd.s.toFixed(2)} s (${(flops / fwd.s / 1e9).toFixed(1)} GFLOPS), compile ${fwd.compile.toFixed(1)} s`,
);
const steps: PhaseResult[] = [];
for (const routing of routings) {
  const r = runPhase(routing);
  steps.push(r);
  log(`step (${routing}): ${r.s.toFixed(2)} s`);
}
const load1 = loadavg();

const rows = [
  ["what", "wall s", "CPU s", "GFLOPS (fwd FLOPs / wall)", "× forward", "compile s", "peak RSS MB"],
  [
    "frozen forward",
    fwd.s.toFixed(2),
    fwd.cpu.toFixed(1),
    (flops / fwd.s / 1e9).toFixed(1),
    "1.00",
    fwd.compile.toFixed(1),
    fwd.rss.toFixed(0),
  ],
  ...steps.map((r) => [
    `MoLRE step, ${r.phase} routing`,
    r.s.toFixed(2),
    r.cpu.toFixed(1),
    (flops / r.s / 1e9).toFixed(1),
    (r.s / fwd.s).toFixed(2),
    r.compile.toFixed(1),
    r.rss.toFixed(0),
  ]),
];
const widths = (rows[0] as string[]).map((_, c) => Math.max(...rows.map((row) => (row[c] as string).length)));
const first = steps[0]?.summary;
if (a.json) {
  console.log(
    JSON.stringify(
      {
        model: { size: a.size, dim: D, layers: L, tokens: N, batch: B, image: IMG, patch: P },
        molre: { k: K, r: R, targets: "q,v" },
        forwardFlops: flops,
        forward: {
          seconds: fwd.s,
          cpuSeconds: fwd.cpu,
          gflops: flops / fwd.s / 1e9,
          compileSeconds: fwd.compile,
          peakRssMB: fwd.rss,
        },
        steps: steps.map((r) => ({
          routing: r.phase,
          seconds: r.s,
          cpuSeconds: r.cpu,
          stepToForward: r.s / fwd.s,
          compileSeconds: r.compile,
          peakRssMB: r.rss,
          meanRouterEntropy: r.entropy,
        })),
        params: first && {
          backbone: first.backboneParams,
          added: first.addedParams,
          trainable: first.trainableParams,
          fraction: first.fraction,
          warnings: first.warnings,
        },
        threads: runtime.intraOpThreads,
        reps,
        cpus: availableParallelism(),
        loadAverageBefore: load0,
        loadAverageAfter: load1,
      },
      null,
      2,
    ),
  );
} else {
  console.log("");
  for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i] as number)).join("  "));
  if (first) {
    console.log(
      `\nadded ${first.addedParams} parameters over a ${first.backboneParams}-parameter backbone = ${(first.fraction * 100).toFixed(3)} % (trainable with the head: ${first.trainableParams})`,
    );
    for (const w of first.warnings) console.log(`warning: ${w}`);
  }
  console.log("peak RSS: each phase runs in its own process.");
  const la = (l: number[]) => l.map((v) => v.toFixed(1)).join(" ");
  console.log(
    `${availableParallelism()} CPUs, load average ${la(load0)} before / ${la(load1)} after; wall time well above CPU time / threads means the CPUs were shared.`,
  );
}
