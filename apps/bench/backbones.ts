// Backbone benchmarks: ViT-B/16 forward (86M parameters, random weights in memory) at 224²,
// batch 16, on N ORT threads; and loading a ~350 MB Hugging Face checkpoint (DINOv2-base
// layout, written to a temporary folder first): time and peak RSS of a fresh process.
// Usage: npm run bench:backbones [-- --json] [--threads 2] [--batch 16] [--repeat 2]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { engine, nn } from "../../src/index.js";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    threads: { type: "string", default: "2" },
    batch: { type: "string", default: "16" },
    repeat: { type: "string", default: "2" },
    "load-child": { type: "string" },
  },
});

/**
 * Peak RSS of this process from /proc (VmHWM belongs to the address space made by exec, whereas
 * getrusage's maxrss carries over the spawning parent's peak on Linux).
 */
function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

// Child mode: load a checkpoint folder and report time and peak RSS of this process.
if (values["load-child"]) {
  const t0 = performance.now();
  const loaded = await nn.loadBackbone(values["load-child"]);
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(
    JSON.stringify({
      seconds,
      params: loaded.model.parameterCount(),
      peakRssMb: peakRssMb(),
    }),
  );
  process.exit(0);
}

const threads = Number(values.threads);
const batch = Number(values.batch);
const repeat = Number(values.repeat);

// ---- ViT-B/16 forward
const config = {
  model_type: "dinov2",
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  image_size: 224,
  patch_size: 16,
};
nn.resetInitSeed(1);
const vit = nn.buildBackbone(nn.backboneSpec(config, "<bench config>"));
vit.freeze();
const params = vit.parameterCount();
let t = performance.now();
// Random init is lazy; materialise it here so the compile time is the engine's alone.
for (const [, p] of vit.namedParameters()) p.data;
const initS = (performance.now() - t) / 1000;
t = performance.now();
const { program, tokens } = await nn.compileBackbone(vit, [batch, 3, 224, 224], { intraOpThreads: threads });
const compileS = (performance.now() - t) / 1000;
const pixels = Float32Array.from(engine.randn(batch * 3 * 224 * 224, 3));
await program.run({ pixel_values: pixels }); // warm-up
const times: number[] = [];
for (let i = 0; i < repeat; i++) {
  t = performance.now();
  await program.run({ pixel_values: pixels });
  times.push((performance.now() - t) / 1000);
}
const forwardS = Math.min(...times);
const D = 768;
const L = 12;
const N = tokens;
// Multiply-adds ×2: per layer 4·N·D² (q,k,v,o) + 8·N·D² (MLP) + 2·N²·D (scores, mixing), plus the
// patch projection 2·(N−1)·3·16²·D.
const flops = 2 * batch * (L * (12 * N * D * D + 2 * N * N * D) + (N - 1) * 3 * 256 * D);
const gflops = flops / forwardS / 1e9;
engine.releaseSessions();

// ---- checkpoint loading (DINOv2-base at 518²: 86.6M F32 weights ≈ 346 MB)
const dir = mkdtempSync(join(tmpdir(), "medadapt-bench-backbones-"));
let load: { seconds: number; params: number; peakRssMb: number; fileMb: number };
try {
  const big = { ...config, image_size: 518, patch_size: 14 };
  const model = nn.buildBackbone(nn.backboneSpec(big, "<bench config>"));
  writeFileSync(join(dir, "config.json"), JSON.stringify(big));
  await nn.saveWeights(model, dir);
  const fileMb = statSync(join(dir, "model.safetensors")).size / 2 ** 20;
  const out = execFileSync(process.execPath, [new URL(import.meta.url).pathname, "--load-child", dir], {
    encoding: "utf8",
  });
  load = { ...JSON.parse(out), fileMb };
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const result = {
  machine: { cpus: cpus().length, loadavg: loadavg().map((x) => Number(x.toFixed(2))) },
  forward: {
    model: "ViT-B/16 (DINOv2 layout, 224², random weights)",
    params,
    batch,
    threads,
    tokens,
    initSeconds: Number(initS.toFixed(2)),
    compileSeconds: Number(compileS.toFixed(2)),
    seconds: Number(forwardS.toFixed(3)),
    allSeconds: times.map((x) => Number(x.toFixed(3))),
    gflops: Number(gflops.toFixed(1)),
  },
  load: {
    model: "DINOv2-base (518², F32 safetensors)",
    params: load.params,
    fileMb: Number(load.fileMb.toFixed(1)),
    seconds: Number(load.seconds.toFixed(2)),
    peakRssMb: Number(load.peakRssMb.toFixed(0)),
  },
};

if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  const f = result.forward;
  const l = result.load;
  process.stdout.write(
    [
      `cpus ${result.machine.cpus}, load average ${result.machine.loadavg.join(" ")}`,
      "",
      "what                                   figure",
      `ViT-B/16 forward, batch ${f.batch}, ${f.threads} threads   ${f.seconds} s (best of ${repeat}; ${f.gflops} GFLOPS; random init ${f.initSeconds} s, compile ${f.compileSeconds} s)`,
      `  parameters / tokens                  ${(f.params / 1e6).toFixed(1)}M / ${f.tokens}`,
      `load ${l.fileMb} MB checkpoint               ${l.seconds} s, peak RSS ${l.peakRssMb} MB (fresh process, ${(l.params / 1e6).toFixed(1)}M params)`,
      "",
    ].join("\n"),
  );
}
