import { parseArgs } from "node:util";
import { InputError, loadTaskModels, pipelines, predictScanAll, runLabel } from "../../../src/index.js";
import { type Command, noPositionals } from "../command.js";

const USAGE = `usage: medadapt predict --model RUN_DIR [--model RUN_DIR2 …] --input SCAN [--input SCAN2 …]
                        [--heatmap OUT.nii.gz] [--heatmap-png OUT.png] [--finding NAME] [--rollout] [--json]

Predicts the findings of one scan with models trained by \`medadapt train\`: each run folder's
task plugin (RUN_DIR/plugin: adapter, query, head) goes onto the backbone its config.json
describes (runs without a plugin use their best checkpoint), and the scan is preprocessed exactly
as in training. Several --model runs that share a backbone share one frozen copy in memory, each
plugin under its own adapter name. Give one --input per image of a case when the models were
trained on several (contrasts or phases, manifest order).

options:
  --model RUN_DIR       a run folder written by medadapt train (repeat for several tasks)
  --input SCAN          NIfTI file or DICOM series folder
  --heatmap OUT.nii.gz  write the attention heat map (last block's CLS→patch attention × slice
                        weight, values in [0, 1]) as float32 NIfTI in the input scan's geometry
  --heatmap-png OUT.png an overlay montage of the top-6 slices (brain window + heat map)
  --finding NAME        the finding the heat map is reported for (default: the most probable);
                        with several --model, the heat map uses the first run that has it
  --rollout             attention rollout over all blocks instead of the last block
  --json                the last stdout line is one JSON object:
                        {model, checkpoint, epoch, source, input, probabilities: {FINDING: p},
                         slice_weights: {VIEW: [w per slice]}, heatmap?: {nifti, png, finding,
                         rollout, model}, seconds}; with several --model, "tasks": [{model,
                         checkpoint, epoch, source, probabilities, slice_weights}] instead of the
                         per-run fields

medadapt is research software, not a medical device.
`;

export const predictCommand: Command = {
  name: "predict",
  summary: "predict the findings of a scan with trained runs (probabilities, slice weights, heat maps)",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        model: { type: "string", multiple: true },
        input: { type: "string", multiple: true },
        heatmap: { type: "string" },
        "heatmap-png": { type: "string" },
        finding: { type: "string" },
        rollout: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
      },
      allowPositionals: true,
    });
    noPositionals(positionals);
    if (!values.model?.length) throw new InputError("--model RUN_DIR is required");
    if (!values.input?.length) throw new InputError("--input SCAN is required");
    const wantsMap = values.heatmap !== undefined || values["heatmap-png"] !== undefined;
    if (!wantsMap && (values.finding !== undefined || values.rollout))
      throw new InputError("--finding and --rollout need --heatmap or --heatmap-png");
    const t0 = performance.now();
    const models = await loadTaskModels(values.model);
    const preds = await predictScanAll(models, values.input);

    let heatmap: Record<string, unknown> | undefined;
    if (wantsMap) {
      const f = values.finding;
      const m = f === undefined ? models[0]! : models.find((x) => x.findings.includes(f));
      if (!m)
        throw new InputError(
          `--finding: no --model has a finding "${f}" (they have ${[...new Set(models.flatMap((x) => x.findings))].join(", ")})`,
        );
      const h = await pipelines.heatmapForScan(m, values.input, {
        ...(f !== undefined ? { finding: f } : {}),
        rollout: values.rollout,
        ...(values.heatmap !== undefined ? { nifti: values.heatmap } : {}),
        ...(values["heatmap-png"] !== undefined ? { png: values["heatmap-png"] } : {}),
      });
      heatmap = {
        nifti: values.heatmap ?? null,
        png: values["heatmap-png"] ?? null,
        finding: h.finding,
        probability: h.prediction.probabilities[h.finding],
        rollout: h.rollout,
        model: m.runDir,
      };
    }
    const seconds = (performance.now() - t0) / 1000;
    const task = (i: number) => ({
      model: models[i]!.runDir,
      checkpoint: models[i]!.checkpoint,
      epoch: models[i]!.epoch,
      source: models[i]!.source,
      probabilities: preds[i]!.probabilities,
      slice_weights: preds[i]!.sliceWeights,
    });
    const out =
      models.length === 1
        ? { ...task(0), input: values.input, ...(heatmap ? { heatmap } : {}), seconds }
        : {
            tasks: models.map((_, i) => task(i)),
            input: values.input,
            ...(heatmap ? { heatmap } : {}),
            seconds,
          };

    const lines = [`medadapt predict: ${values.input.join(", ")} (${seconds.toFixed(1)} s)`];
    models.forEach((m, i) => {
      const p = preds[i]!;
      const rows = Object.entries(p.probabilities).sort((a, b) => b[1] - a[1]);
      const width = Math.max(7, ...rows.map(([f]) => f.length));
      lines.push(
        `${models.length > 1 ? `[${runLabel(m)}] ` : ""}${m.runDir}: epoch ${m.epoch} weights from the ${m.source}`,
        `${"finding".padEnd(width)}  probability`,
        ...rows.map(([f, v]) => `${f.padEnd(width)}  ${v.toFixed(4)}`),
      );
      for (const [v, w] of Object.entries(p.sliceWeights)) {
        const top = w.indexOf(Math.max(...w));
        lines.push(`${v}: highest slice weight ${w[top]!.toFixed(3)} on model slice ${top} of ${w.length}`);
      }
    });
    if (heatmap) {
      const where = [heatmap.nifti, heatmap.png].filter((x) => x !== null).join(" and ");
      lines.push(
        `heat map (${heatmap.rollout ? "attention rollout" : "last block"}, reported for ${heatmap.finding}) written to ${where}`,
      );
    }
    lines.push("research software, not a medical device");
    process.stdout.write(`${lines.join("\n")}\n`);
    if (values.json) process.stdout.write(`${JSON.stringify(out)}\n`);
    return 0;
  },
};
