import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { stringify as toYaml } from "yaml";
import { benchConfig, generateHeadCtSet, InputError, pipelines, report } from "../../../src/index.js";
import type { Command } from "../command.js";
import { formatTable } from "../format.js";
import { terminalProgress } from "../progress.js";
import { withInterrupt } from "./bench.js";

/**
 * What the demo runs. Every figure is a setting chosen by measurement (docs/bench.md says how):
 * scans small enough for the budget, findings a 64² × 16-slice model can see, and their primary
 * prevalences raised so that a test split of ~50 scans holds enough positives to estimate an AUC.
 */
export const DEMO = {
  full: {
    n: 300,
    shape: [64, 64, 16] as [number, number, number],
    // Pairs of 10 mm slices averaged into 20 mm slabs: half the backbone passes per scan.
    slices: 8,
    epochs: 8,
    bootstrap: 1000,
    heatmaps: 2,
  },
  quick: {
    n: 24,
    shape: [64, 64, 8] as [number, number, number],
    slices: 4,
    epochs: 1,
    bootstrap: 200,
    heatmaps: 1,
  },
  spacing: [3.75, 3.75, 10] as [number, number, number],
  backbone: "medadapt-demo-vit",
  findings: [
    "any_intracranial_hemorrhage",
    "epidural_hematoma",
    "acute_subdural_hematoma",
    "chronic_subdural_hematoma",
    "intraparenchymal_hemorrhage",
    "scalp_hematoma",
    "midline_shift",
    "hydrocephalus",
    "generalized_atrophy",
    "diffuse_cerebral_swelling",
    "mass_lesion_any",
    "craniectomy_defect",
  ],
  /** Primary prevalences raised from DEFAULT_PREVALENCE (the parents follow from their subtypes). */
  prevalence: {
    epidural_hematoma: 0.1,
    acute_subdural_hematoma: 0.12,
    chronic_subdural_hematoma: 0.1,
    intraparenchymal_hemorrhage: 0.12,
    scalp_hematoma: 0.06,
    hydrocephalus: 0.1,
    generalized_atrophy: 0.15,
    diffuse_cerebral_swelling: 0.08,
    intra_axial_mass: 0.08,
    extra_axial_mass: 0.06,
    craniectomy_defect: 0.08,
  } as Record<string, number>,
  /** METHODS.md §2 optimizer groups with their lr tuned on the validation split for this backbone. */
  train: {
    batchSize: 8,
    groups: [
      { name: "adapter", match: "lora_|molre_", lr: 3e-3, weightDecay: 1e-5 },
      { name: "head", match: "(^|\\.)(head|query)(\\.|$)", lr: 1e-2, weightDecay: 1e-4 },
    ],
    warmupEpochs: 0.5,
    loss: { kind: "focal", gamma: 2, alpha: 0.25 },
    earlyStopping: { patience: 3, minDelta: 0 },
  },
  methods: [
    { label: "baseline", method: "linear_probe", pooling: "mean" },
    { label: "lora", method: "lora", adapter: { r: 8, lora_alpha: 16 }, pooling: "attention" },
    {
      label: "molre",
      method: "molre",
      adapter: { r: 4, lora_alpha: 8, num_experts: 4, target_modules: ["query", "value"], routing: "image" },
      pooling: "attention",
    },
  ],
};

const USAGE = `usage: medadapt demo [--out DIR] [--seed S] [--quick] [--backbone NAME|DIR] [--json]

medadapt's main job on embedded data: generates a head CT phantom set (${DEMO.full.n} scans of
${DEMO.full.shape.join("×")} voxels, ${DEMO.findings.length} findings), then benchmarks three ways of adapting the small
pretrained demo backbone (${DEMO.backbone}) to it — the frozen mean-pooling baseline (linear probe),
LoRA (r 8, α 16, slice attention) and MoLRE (4 experts of rank 4 on q and v, soft image routing,
slice attention) — with the same training budget and early stopping on the validation mean AUC,
evaluates each on the test split (mean AUC with bootstrap 95 % CIs, DeLong against the baseline),
writes DIR/report.html and DIR/results.json, and prints the table. About 5–10 minutes on 2 cores.
Run again with the same options to reuse what is done (a stopped run resumes).

options:
  --out DIR        output folder (default: medadapt-demo): data/ (the phantom set), bench.yaml
                   (rerun it with medadapt bench --config), runs/, results.json, report.html
  --seed S         seed of the phantom set and of training (default 0)
  --quick          a tiny set and one epoch (a smoke test: its AUCs mean nothing)
  --backbone B     another 2D backbone with 3 input channels (default ${DEMO.backbone})
  --json           the last stdout line is one JSON object:
                   {methods: {baseline|lora|molre: {mean_auc, ci: [lo, hi], trainable_params,
                    added_param_fraction, delong_p, train_seconds}}, report, results, seconds, cpu_seconds}

medadapt is research software, not a medical device.
`;

const f3 = (x: number | null | undefined) => (x === null || x === undefined ? "—" : x.toFixed(3));

export const demo: Command = {
  name: "demo",
  summary: "the quick-start job: phantom head CTs → frozen baseline vs LoRA vs MoLRE → report",
  usage: USAGE,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        out: { type: "string", default: "medadapt-demo" },
        seed: { type: "string", default: "0" },
        quick: { type: "boolean", default: false },
        backbone: { type: "string", default: DEMO.backbone },
        json: { type: "boolean", default: false },
      },
    });
    const seed = Number(values.seed);
    if (!/^\d+$/.test(values.seed) || !Number.isSafeInteger(seed) || seed > 2 ** 32 - 1)
      throw new InputError(`--seed must be an integer 0..4294967295, got '${values.seed}'`);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const size = values.quick ? DEMO.quick : DEMO.full;
    const out = resolve(values.out);
    const dataDir = join(out, "data");
    const manifest = join(dataDir, "manifest.csv");

    // The data: made once per (size, seed); a folder made with other settings is refused, not mixed.
    const stamp = JSON.stringify({
      n: size.n,
      shape: size.shape,
      spacing: DEMO.spacing,
      seed,
      prevalence: DEMO.prevalence,
    });
    const stampFile = join(out, "demo-data.json");
    if (existsSync(stampFile)) {
      if ((await readFile(stampFile, "utf8")).trim() !== stamp)
        throw new InputError(
          "holds a demo made with other settings (--seed, --quick): choose another --out or delete it",
          out,
        );
    }
    if (!existsSync(stampFile) || !existsSync(manifest)) {
      await mkdir(out, { recursive: true });
      process.stderr.write(
        `generating ${size.n} phantom head CT scans in ${relative(process.cwd(), dataDir)}\n`,
      );
      const onProgress = terminalProgress("phantom scans");
      await generateHeadCtSet(dataDir, {
        n: size.n,
        seed,
        shape: size.shape,
        spacing: DEMO.spacing,
        prevalence: DEMO.prevalence,
        ...(onProgress ? { onProgress } : {}),
      });
      await writeFile(stampFile, `${stamp}\n`);
    }

    const raw = {
      title: `medadapt demo: head CT phantom (seed ${seed}${values.quick ? ", quick" : ""})`,
      data: {
        manifest: "data/manifest.csv",
        findings: DEMO.findings,
        preprocess: { size: [size.shape[0], size.shape[1]], slices: size.slices, planes: ["axial"] },
      },
      train: { ...DEMO.train, epochs: size.epochs },
      // A folder given on the command line is relative to the working directory, not to DIR.
      backbones: [existsSync(values.backbone) ? resolve(values.backbone) : values.backbone],
      methods: DEMO.methods,
      seeds: [seed],
      baseline: "baseline",
      out: ".",
      bootstrap: size.bootstrap,
      heatmaps: size.heatmaps,
    };
    // Written first so the user can rerun or vary exactly this bench with `medadapt bench`.
    const yamlPath = join(out, "bench.yaml");
    await writeFile(yamlPath, toYaml(raw));
    const config = benchConfig(raw, yamlPath, out);
    const res = await withInterrupt((signal) =>
      pipelines.bench.runBench(config, {
        signal,
        report: (path, results) => report.writeBenchReport(path, results),
      }),
    );
    if (res.aborted || !res.results) return 1;
    const r = res.results;
    const cpu = process.cpuUsage(cpu0);
    const seconds = (performance.now() - t0) / 1000;
    const methods: Record<string, unknown> = {};
    const rows = [["method", "mean AUC [95 % CI]", "DeLong p", "trainable", "added", "train s", "epochs"]];
    for (const run of r.runs) {
      const p = run.delong_vs_baseline?.mean?.p ?? null;
      methods[run.method] = {
        mean_auc: run.test.mean_auc,
        ci: run.test.ci,
        trainable_params: run.trainable_params,
        added_param_fraction: run.added_param_fraction,
        delong_p: p,
        train_seconds: run.train_seconds,
      };
      rows.push([
        run.method,
        `${f3(run.test.mean_auc)} [${f3(run.test.ci?.[0])}, ${f3(run.test.ci?.[1])}]`,
        run.method === r.baseline ? "—" : p === null ? "n/a" : p.toPrecision(2),
        run.trainable_params.toLocaleString("en-US"),
        `${(100 * run.added_param_fraction).toFixed(2)} %`,
        run.train_seconds.toFixed(0),
        `${run.best_epoch ?? "—"}/${run.epochs_run}`,
      ]);
    }
    const first = r.runs[0];
    const lines = [
      `medadapt demo: ${r.dataset.cases.train}/${r.dataset.cases.val}/${r.dataset.cases.test} train/val/test phantom scans, ${r.dataset.findings.length} findings, backbone ${values.backbone}${first ? ` (${first.backbone_params.toLocaleString("en-US")} params, frozen)` : ""}`,
      `test split: mean AUC over findings with 95 % bootstrap CI; DeLong p of the mean AUC vs the baseline; epochs = best/run`,
      ...formatTable(rows, true),
      `report:  ${res.reportPath}`,
      `results: ${res.resultsPath}  (rerun or vary: medadapt bench --config ${yamlPath})`,
      `${seconds.toFixed(0)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s CPU${values.quick ? " (--quick: a smoke test, the AUCs mean nothing)" : ""}`,
      "Synthetic data. medadapt is research software, not a medical device.",
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    if (values.json)
      process.stdout.write(
        `${JSON.stringify({ methods, report: res.reportPath, results: res.resultsPath, seconds, cpu_seconds: (cpu.user + cpu.system) / 1e6 })}\n`,
      );
    return 0;
  },
};
