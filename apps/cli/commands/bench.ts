import { parseArgs } from "node:util";
import { type BenchResults, InputError, pipelines, readBenchConfig, report } from "../../../src/index.js";
import { type Command, noPositionals } from "../command.js";
import { formatTable } from "../format.js";

const USAGE = `usage: medadapt bench --config FILE [--json]

Trains every backbone × method × seed of a bench config through the task pipeline, predicts the
test split with each run's best weights, and evaluates it: per-finding ROC AUC with stratified
bootstrap 95 % CIs, the mean AUC with a case-bootstrap CI, ROC curves, paired DeLong tests against
the baseline method of the same backbone and seed. Writes OUT/runs/<backbone>-<label>-s<seed>/
(run folder, test_predictions.csv, bench-run.json), OUT/results.json and OUT/report.html.
Runs already recorded are read back, a run stopped mid-training resumes from its checkpoint:
rerun the same command after a stop (Ctrl-C stops at the next batch).

config (JSON or YAML; see docs/bench.md):
  title       report title
  data        the training config's data section (manifest relative to the config file)
  train       the training config's train section (epochs, batchSize, lr, groups, loss, …)
  model       shared model keys (fusion, initStd, …); backbone/method/adapter/pooling come from:
  backbones   [a Hugging Face folder or a known name, …]
  methods     [{label, method: linear_probe|lora|molre|full, adapter: {…}, pooling}, …]
  seeds       [0, 1, …] (default [0])
  baseline    the label DeLong compares against (default the first method)
  out         output folder (relative to the config file)
  bootstrap   bootstrap replicates (default 1000); cacheFeatures (default true)

options:
  --config FILE   the bench config
  --json          the last stdout line is results.json's summary:
                  {results, report, summary: [{backbone, method, n_seeds, mean_auc_mean,
                   mean_auc_sd, ci_mean, added_param_fraction, trainable_params}], seconds}

medadapt is research software, not a medical device.
`;

const f3 = (x: number | null | undefined) => (x === null || x === undefined ? "—" : x.toFixed(3));

/** The readable summary: one row per backbone × method, DeLong p against the baseline per seed. */
export function benchTable(r: BenchResults): string[] {
  const rows = [
    ["backbone", "method", "mean AUC [95 % CI]", "± SD", "DeLong p", "trainable", "added", "train s"],
  ];
  for (const s of r.summary) {
    const runs = r.runs.filter((x) => x.backbone === s.backbone && x.method === s.method);
    const ps = runs.map((x) => x.delong_vs_baseline?.mean?.p).filter((p): p is number => p !== undefined);
    const trainS = runs.reduce((a, x) => a + x.train_seconds, 0) / Math.max(1, runs.length);
    rows.push([
      pipelines.bench.backboneSlug(s.backbone),
      s.method,
      `${f3(s.mean_auc_mean)} [${f3(s.ci_mean?.[0])}, ${f3(s.ci_mean?.[1])}]`,
      s.n_seeds > 1 ? f3(s.mean_auc_sd) : "",
      s.method === r.baseline ? "(baseline)" : ps.length ? ps.map((p) => p.toPrecision(2)).join("/") : "—",
      s.trainable_params.toLocaleString("en-US"),
      `${(100 * s.added_param_fraction).toFixed(2)} %`,
      trainS.toFixed(0),
    ]);
  }
  return formatTable(rows, true);
}

/** Runs `fn` with Ctrl-C turned into an abort at the next batch boundary (a second Ctrl-C kills). */
export async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onInt = () => {
    if (ac.signal.aborted) process.exit(130);
    process.stderr.write("\nstopping at the next batch (Ctrl-C again to kill)…\n");
    ac.abort();
  };
  process.on("SIGINT", onInt);
  try {
    return await fn(ac.signal);
  } finally {
    process.off("SIGINT", onInt);
  }
}

export const benchCommand: Command = {
  name: "bench",
  summary: "train and evaluate backbones × methods × seeds from a config → results.json + HTML report",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { config: { type: "string" }, json: { type: "boolean", default: false } },
      allowPositionals: true,
    });
    noPositionals(positionals);
    if (values.config === undefined) throw new InputError("--config FILE is required");
    const config = await readBenchConfig(values.config);
    const out = await withInterrupt((signal) =>
      pipelines.bench.runBench(config, {
        signal,
        report: (path, results) => report.writeBenchReport(path, results),
      }),
    );
    if (out.aborted || !out.results) return 1;
    const r = out.results;
    const lines = [
      `medadapt bench: ${r.runs.length} run(s), ${r.dataset.findings.length} findings, test split ${r.dataset.cases.test} cases (${r.seconds.toFixed(1)} s)`,
      ...benchTable(r),
      `results: ${out.resultsPath}`,
      `report:  ${out.reportPath}`,
      "medadapt is research software, not a medical device.",
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    if (values.json)
      process.stdout.write(
        `${JSON.stringify({ results: out.resultsPath, report: out.reportPath, summary: r.summary, seconds: r.seconds })}\n`,
      );
    return 0;
  },
};
