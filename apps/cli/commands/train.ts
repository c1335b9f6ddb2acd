import { parseArgs } from "node:util";
import { InputError, readTaskConfig, runTask } from "../../../src/index.js";
import { type Command, noPositionals } from "../command.js";

const USAGE = `usage: medadapt train --config FILE [--json]
       medadapt train --resume RUN_DIR [--json]

Trains an AnyMC3D slice-wise classifier (a 2D backbone over the slices of each scan, an
adaptation method, slice pooling, a linear head) from a JSON or YAML config, and writes the run
folder: config.json, metrics.jsonl, log.txt, checkpoints/last and checkpoints/best, summary.json.

config sections (see docs/tasks.md and docs/training.md):
  data:   manifest (relative to the config file), findings, split, preprocess, augment
  model:  backbone   a Hugging Face model folder, or tiny-dinov2 | tiny-dinov3 | tiny-siglip or
                     a zoo name (random weights drawn from the seed)
          method     linear_probe | full | lora | molre (default molre)
          adapter    the method's settings (r, lora_alpha, target_modules, num_experts, …)
          pooling    attention (default) | mean | max
          fusion     mean (default) | concat, for several preprocess.planes
          initStd    random-weight backbones: std of a fresh normal init (optional)
  train:  epochs, batchSize, lr, groups, loss, schedule, earlyStopping, …
  seed, runDir

options:
  --config FILE     start a new run (its runDir must not hold a checkpoint)
  --resume RUN_DIR  continue a stopped run with the config stored in it
  --json            the last stdout line is one JSON object:
                    {run_dir, status, epochs_done, steps, best: {epoch, val_mean_auc} | null,
                     final: {train_loss, val_mean_auc, val_auc}, model: {...}, cases, seconds}

medadapt is research software, not a medical device.
`;

const num = (x: number | null | undefined, d = 3) => (x === null || x === undefined ? "n/a" : x.toFixed(d));

export const trainCommand: Command = {
  name: "train",
  summary: "train an AnyMC3D slice-wise classifier from a config (or resume a run)",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        config: { type: "string" },
        resume: { type: "string" },
        json: { type: "boolean", default: false },
      },
      allowPositionals: true,
    });
    noPositionals(positionals);
    if ((values.config === undefined) === (values.resume === undefined))
      throw new InputError("give exactly one of --config FILE or --resume RUN_DIR");
    const t0 = performance.now();
    const { setup, result } =
      values.resume !== undefined
        ? await runTask({ resumeDir: values.resume })
        : await runTask(await readTaskConfig(values.config!), {}, values.config);
    const last = result.history.at(-1);
    const s = setup.built.summary;
    const out = {
      run_dir: result.runDir,
      status: result.status,
      epochs_done: result.epochsDone,
      steps: result.step,
      best: result.best ? { epoch: result.best.epoch, val_mean_auc: result.best.valMeanAuc } : null,
      final: last
        ? { train_loss: last.trainLoss, val_mean_auc: last.valMeanAuc, val_auc: last.valAuc }
        : null,
      model: {
        backbone: setup.built.backbone,
        method: s.method,
        pooling: setup.built.model.pooling,
        views: [...setup.built.model.views],
        findings: setup.findings.length,
        trainable_params: s.trainableParams,
        added_params: s.addedParams,
        added_param_fraction: s.fraction,
      },
      cases: setup.cases,
      seconds: (performance.now() - t0) / 1000,
    };
    const lines = [
      `medadapt train: ${out.status} after ${out.epochs_done} epoch(s), ${out.steps} steps (${out.seconds.toFixed(1)} s)`,
      `run folder: ${out.run_dir}`,
      `model: ${out.model.backbone.name} (${out.model.backbone.arch}, ${out.model.backbone.params} params${out.model.backbone.pretrained ? "" : ", random weights"}) + ${s.method}, ${out.model.pooling} pooling over ${out.model.views.join("/")} slices; trainable ${s.trainableParams}, added ${s.addedParams} (${(100 * s.fraction).toFixed(3)} % of the backbone)`,
      `cases: ${out.cases.train} train, ${out.cases.val} val, ${out.cases.test} test; ${out.model.findings} findings`,
      `best val mean AUC: ${out.best ? `${num(out.best.val_mean_auc)} (epoch ${out.best.epoch})` : "n/a"}; last epoch: train loss ${num(last?.trainLoss, 4)}, val mean AUC ${num(last?.valMeanAuc)}`,
    ];
    for (const w of s.warnings) lines.push(`warning: ${w}`);
    process.stdout.write(`${lines.join("\n")}\n`);
    if (values.json) process.stdout.write(`${JSON.stringify(out)}\n`);
    return result.status === "aborted" ? 1 : 0;
  },
};
