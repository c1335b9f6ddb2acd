import { parseArgs } from "node:util";
import { InputError, loadTaskModel, pipelines } from "../../../src/index.js";
import { type Command, noPositionals } from "../command.js";

const USAGE = `usage: medadapt export --model RUN_DIR --out model.onnx [--no-merge] [--slices S] [--json]

Writes a trained run as one ONNX file that runs in plain ONNX Runtime (Node, browser, Python):
inputs are the preprocessed slice stacks [1, S, C, H, W], one per view, named by plane (axial,
coronal, sagittal), or "volume" [1, C, D, H, W] for the native 3D path; outputs are
"probabilities" [1, F] and the slice weights [1, S]
("slice_weights", or "slice_weights_<plane>" with several views). LoRA is merged into the base
weights (W + α/r·B·A); MoLRE with several experts routes on its input, so its experts and router
stay as graph operations. metadata_props hold the findings (output order), the preprocessing
config (to prepare the input the same way) and the medadapt version.

options:
  --model RUN_DIR  a run folder written by medadapt train (its plugin, or its best checkpoint)
  --out FILE       the .onnx file to write (weights past 1.8 GB go to FILE.data)
  --no-merge       keep every adapter as graph operations
  --slices S       the slice count of the graph's inputs, when the run keeps each scan's own
  --json           the last stdout line is one JSON object:
                   {model, out, bytes, inputs: [{name, shape}], outputs: [{name, shape}], findings,
                    method, merged_layers, unmerged_layers: [{layer, reason}], metadata, seconds}

medadapt is research software, not a medical device.
`;

export const exportCommand: Command = {
  name: "export",
  summary: "write a trained run as one ONNX file for plain ONNX Runtime (adapters merged)",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        model: { type: "string" },
        out: { type: "string" },
        "no-merge": { type: "boolean", default: false },
        slices: { type: "string" },
        json: { type: "boolean", default: false },
      },
      allowPositionals: true,
    });
    noPositionals(positionals);
    if (values.model === undefined) throw new InputError("--model RUN_DIR is required");
    if (values.out === undefined) throw new InputError("--out FILE is required");
    let slices: number | undefined;
    if (values.slices !== undefined) {
      slices = Number(values.slices);
      if (!Number.isInteger(slices) || slices < 1)
        throw new InputError(`--slices must be a positive integer, got "${values.slices}"`);
    }
    const t0 = performance.now();
    const m = await loadTaskModel(values.model);
    const r = await pipelines.exportTaskModel(m, values.out, {
      merge: !values["no-merge"],
      ...(slices !== undefined ? { slices } : {}),
    });
    const seconds = (performance.now() - t0) / 1000;
    const lines = [
      `medadapt export: ${values.model} → ${r.path} (${(r.bytes / 1e6).toFixed(1)} MB${r.external ? ", weights in .data" : ""}, ${seconds.toFixed(1)} s)`,
      `method ${r.method}: ${r.merged.length} adapter layer(s) merged into the base weights, ${r.unmerged.length} kept as graph ops${r.unmerged.length ? ` (${r.unmerged[0]!.reason})` : ""}`,
      ...r.inputs.map((i) => `input  ${i.name} [${i.shape.join(", ")}]`),
      ...r.outputs.map((o) => `output ${o.name} [${o.shape.join(", ")}]`),
      `findings (output order): ${r.findings.join(", ")}`,
      "research software, not a medical device",
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    if (values.json)
      process.stdout.write(
        `${JSON.stringify({
          model: values.model,
          out: r.path,
          bytes: r.bytes,
          inputs: r.inputs,
          outputs: r.outputs,
          findings: r.findings,
          method: r.method,
          merged_layers: r.merged.length,
          unmerged_layers: r.unmerged,
          metadata: r.metadata,
          seconds,
        })}\n`,
      );
    return 0;
  },
};
