import { parseArgs } from "node:util";
import { InputError, loadTaskModel, predictScan } from "../../../src/index.js";
import { type Command, noPositionals } from "../command.js";

const USAGE = `usage: medadapt predict --model RUN_DIR --input SCAN [--input SCAN2 …] [--json]

Predicts the findings of one scan with a model trained by \`medadapt train\`: the run folder's
config rebuilds the model, its best checkpoint (the last one when no epoch was validated) gives
the trained weights, and the scan is preprocessed exactly as in training. Give one --input per
image of a case when the model was trained on several (contrasts or phases, manifest order).

options:
  --model RUN_DIR  a run folder written by medadapt train
  --input SCAN     NIfTI file or DICOM series folder
  --json           the last stdout line is one JSON object:
                   {model, checkpoint, epoch, input, probabilities: {FINDING: p},
                    slice_weights: {VIEW: [w per slice]}, seconds}

medadapt is research software, not a medical device.
`;

export const predictCommand: Command = {
  name: "predict",
  summary: "predict the findings of a scan with a trained run (probabilities and slice weights)",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        model: { type: "string" },
        input: { type: "string", multiple: true },
        json: { type: "boolean", default: false },
      },
      allowPositionals: true,
    });
    noPositionals(positionals);
    if (values.model === undefined) throw new InputError("--model RUN_DIR is required");
    if (!values.input?.length) throw new InputError("--input SCAN is required");
    const t0 = performance.now();
    const m = await loadTaskModel(values.model);
    const p = await predictScan(m, values.input);
    const out = {
      model: values.model,
      checkpoint: m.checkpoint,
      epoch: m.epoch,
      input: values.input,
      probabilities: p.probabilities,
      slice_weights: p.sliceWeights,
      seconds: (performance.now() - t0) / 1000,
    };
    const rows = Object.entries(p.probabilities).sort((a, b) => b[1] - a[1]);
    const width = Math.max(7, ...rows.map(([f]) => f.length));
    const lines = [
      `medadapt predict: ${values.input.join(", ")} with ${values.model} (epoch ${m.epoch} weights, ${out.seconds.toFixed(1)} s)`,
      `${"finding".padEnd(width)}  probability`,
      ...rows.map(([f, v]) => `${f.padEnd(width)}  ${v.toFixed(4)}`),
    ];
    for (const [v, w] of Object.entries(p.sliceWeights)) {
      const top = w.indexOf(Math.max(...w));
      lines.push(`${v}: highest slice weight ${w[top]!.toFixed(3)} on model slice ${top} of ${w.length}`);
    }
    lines.push("research software, not a medical device");
    process.stdout.write(`${lines.join("\n")}\n`);
    if (values.json) process.stdout.write(`${JSON.stringify(out)}\n`);
    return 0;
  },
};
