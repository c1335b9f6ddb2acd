// Serving a trained run: plugin load, prediction, heat maps (last block and rollout), ONNX export
// and the exported file in plain ONNX Runtime, and the memory two tasks take on one shared
// backbone vs two separate ones. The run is trained for one epoch on a small phantom set first.
// Usage: npm run bench:predict [-- --json] [--backbone tiny-dinov2] [--size 32] [--slices 8]
//        [--method lora] [--repeats 3]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import {
  engine,
  generateHeadCtSet,
  loadTaskModel,
  loadTaskModels,
  pipelines,
  predictScan,
  readTaskConfig,
  runTask,
} from "../../src/index.js";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    backbone: { type: "string", default: "tiny-dinov2" },
    size: { type: "string", default: "32" },
    slices: { type: "string", default: "8" },
    method: { type: "string", default: "lora" },
    repeats: { type: "string", default: "3" },
  },
});
const size = Number(values.size);
const slices = Number(values.slices);
const repeats = Number(values.repeats);
const load0 = loadavg()[0]!;

const dir = mkdtempSync(join(tmpdir(), "medadapt-bench-predict-"));
try {
  const set = await generateHeadCtSet(join(dir, "set"), { n: 6, seed: 1, shape: [64, 64, 16], workers: 1 });
  const train = async (name: string, method: string) => {
    const cfg = join(dir, `${name}.json`);
    writeFileSync(
      cfg,
      JSON.stringify({
        seed: 1,
        runDir: join(dir, name),
        data: {
          manifest: set.manifest,
          findings: ["any_intracranial_hemorrhage", "hydrocephalus"],
          preprocess: { size: [size, size], slices },
        },
        model: { backbone: values.backbone, method, initStd: 0.3 },
        train: { epochs: 1, batchSize: 1 },
      }),
    );
    await runTask(await readTaskConfig(cfg), { progress: null });
    return join(dir, name);
  };
  const run = await train("a", values.method);
  const id = readFileSync(set.manifest, "utf8").split("\n")[1]!.split(",")[0]!;
  const scan = [join(dir, "set", "images", `${id}.nii.gz`)];

  const best = async (f: () => Promise<unknown>) => {
    let t = Number.POSITIVE_INFINITY;
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      await f();
      t = Math.min(t, (performance.now() - t0) / 1000);
    }
    return t;
  };
  const m = await loadTaskModel(run);
  const rows: Record<string, number> = {};
  rows.load_plugin_s = await best(() => loadTaskModel(run));
  rows.predict_s = await best(() => predictScan(m, scan));
  rows.heatmap_s = await best(() => pipelines.heatmapForScan(m, scan));
  rows.heatmap_rollout_s = await best(() => pipelines.heatmapForScan(m, scan, { rollout: true }));
  const file = join(dir, "model.onnx");
  let exported: Awaited<ReturnType<typeof pipelines.exportTaskModel>> | undefined;
  rows.export_s = await best(async () => {
    exported = await pipelines.exportTaskModel(m, file);
  });
  const input = await pipelines.prepareScan(m, scan);
  const v = input.views[0]!;
  const session = await ort.InferenceSession.create(file);
  const feeds = { [v.plane]: new ort.Tensor("float32", v.data, [1, ...v.shape]) };
  await session.run(feeds);
  rows.onnx_run_s = await best(() => session.run(feeds));
  await session.release();

  // Two tasks: the frozen weights in memory with one shared backbone vs two separate ones.
  const run2 = await train("b", values.method);
  const weightBytes = (ms: Awaited<ReturnType<typeof loadTaskModels>>) => {
    const arrays = new Set<Float32Array>();
    for (const x of ms) for (const [, p] of x.built.model.namedParameters()) arrays.add(p.data);
    return [...arrays].reduce((n, a) => n + a.byteLength, 0);
  };
  const shared = weightBytes(await loadTaskModels([run, run2]));
  const separate = weightBytes([await loadTaskModel(run), await loadTaskModel(run2)]);
  await engine.releaseSessions();

  const result = {
    backbone: values.backbone,
    method: values.method,
    input: [slices, 3, size, size],
    ...rows,
    onnx_mb: (exported?.bytes ?? 0) / 1e6,
    merged_layers: exported?.merged.length ?? 0,
    unmerged_layers: exported?.unmerged.length ?? 0,
    two_tasks_weight_mb: { shared: shared / 1e6, separate: separate / 1e6 },
    load_average: [load0, loadavg()[0]!],
  };
  const fmt = (x: number) => x.toFixed(3);
  process.stdout.write(
    `${[
      `bench:predict — ${values.backbone}, ${values.method}, ${slices} × 3 × ${size}², best of ${repeats} (load ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)})`,
      `load plugin ${fmt(rows.load_plugin_s!)} s | predict ${fmt(rows.predict_s!)} s | heat map ${fmt(rows.heatmap_s!)} s | rollout ${fmt(rows.heatmap_rollout_s!)} s`,
      `export ${fmt(rows.export_s!)} s (${result.onnx_mb.toFixed(1)} MB, ${result.merged_layers} merged, ${result.unmerged_layers} unmerged) | plain ORT run ${fmt(rows.onnx_run_s!)} s`,
      `two tasks, model weights in memory: ${(shared / 1e6).toFixed(1)} MB shared vs ${(separate / 1e6).toFixed(1)} MB separate`,
    ].join("\n")}\n`,
  );
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
