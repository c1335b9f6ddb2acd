import { parseArgs } from "node:util";
import { InputError, pipelines } from "../../../src/index.js";
import { type Command, noPositionals } from "../command.js";

const D = pipelines.PRETRAIN_DEFAULTS;

const USAGE = `usage: medadapt pretrain --manifest M --out DIR [--objective mae|dense] [--labels COLUMN]
                         [--epochs E] [--batch B] [--lr LR] [--mask-ratio R] [--raw-pixels] [--seed S]
                         [--max-scans N] [--threads N] [--resume] [--json]

Pretrains a DINOv2-layout ViT on every axial slice of the scans in manifest M (CSV or JSONL; the
finding labels are not used), by one of two objectives:
  mae    self-supervised masked autoencoder: 75 % of the patches hidden, a light decoder
         reconstructs their pixels (default)
  dense  supervised dense prediction: each patch token predicts, through one linear layer, the
         label of each of its pixels in the label map of mask column COLUMN (default
         ${D.labels}, the phantom's anatomy parcellation), softmax cross-entropy
Slices are preprocessed as training configs do: CT windows brain, subdural and bone as channels
in [0, 1], resized to the backbone's input (label maps by nearest neighbour). The architecture
is the demo backbone's (width 96, 4 layers, 3 heads, patch 8, 64² input).

DIR receives a Hugging Face DINOv2 folder (config.json, model.safetensors,
preprocessor_config.json) that --backbone / model.backbone accept, and pretraining.json (the
options and the loss per epoch). A checkpoint is written to DIR/.pretrain-checkpoint after each
epoch; --resume continues from it.

options:
  --epochs E        epochs over all slices (default ${D.epochs})
  --batch B         slices per step (default ${D.batch})
  --lr LR           peak learning rate of AdamW (β 0.9/0.95, weight decay ${D.weightDecay}),
                    after ${D.warmupEpochs} warmup epoch(s), cosine decay to ${D.minLrFactor} × LR (default ${D.lr})
  --objective O     mae or dense (default ${D.objective})
  --labels COLUMN   the mask column of the label maps for --objective dense (default ${D.labels})
  --mask-ratio R    fraction of patches hidden (default ${D.mae.maskRatio})
  --raw-pixels      reconstruct the windowed pixels themselves instead of each patch normalised
                    by its own mean and std (MAE's norm_pix_loss): the encoder then has to carry
                    absolute densities, which CT findings depend on
  --seed S          initialisation, shuffling and masks (default ${D.seed})
  --max-scans N     use the first N scans only
  --threads N       ONNX Runtime intra-op threads
  --resume          continue the run whose checkpoint is in DIR
  --json            the last stdout line is one JSON object:
                    {out, scans, slices, steps, epochs, first_loss, final_loss, train_seconds, load_seconds}
`;

function positiveInt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`${name} must be a positive integer (got "${v}")`);
  return n;
}

function nonNegativeInt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InputError(`${name} must be an integer ≥ 0 (got "${v}")`);
  return n;
}

function ratio(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n > 0 && n < 1)) throw new InputError(`--mask-ratio must be a number in (0, 1) (got "${v}")`);
  return n;
}

function positive(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n > 0 && Number.isFinite(n))) throw new InputError(`${name} must be a positive number (got "${v}")`);
  return n;
}

export const pretrainCommand: Command = {
  name: "pretrain",
  summary: "pretrain the demo ViT (MAE or dense labels) on a manifest's slices; writes a Hugging Face folder",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        manifest: { type: "string" },
        out: { type: "string" },
        epochs: { type: "string" },
        batch: { type: "string" },
        lr: { type: "string" },
        "mask-ratio": { type: "string" },
        objective: { type: "string" },
        labels: { type: "string" },
        seed: { type: "string" },
        "max-scans": { type: "string" },
        threads: { type: "string" },
        resume: { type: "boolean", default: false },
        "raw-pixels": { type: "boolean", default: false },
        json: { type: "boolean", default: false },
      },
      allowPositionals: true,
    });
    noPositionals(positionals);
    if (!values.manifest) throw new InputError("--manifest M is required");
    if (!values.out) throw new InputError("--out DIR is required");
    const opts: Parameters<typeof pipelines.pretrain>[0] = {
      manifest: values.manifest,
      out: values.out,
      resume: values.resume,
    };
    if (values.objective !== undefined) {
      if (values.objective !== "mae" && values.objective !== "dense")
        throw new InputError(`--objective must be mae or dense (got "${values.objective}")`);
      opts.objective = values.objective;
    }
    if (values.labels !== undefined) opts.labels = values.labels;
    const epochs = positiveInt(values.epochs, "--epochs");
    const batch = positiveInt(values.batch, "--batch");
    const lr = positive(values.lr, "--lr");
    const mask = ratio(values["mask-ratio"]);
    const seed = nonNegativeInt(values.seed, "--seed");
    const maxScans = positiveInt(values["max-scans"], "--max-scans");
    const threads = positiveInt(values.threads, "--threads");
    if (epochs !== undefined) opts.epochs = epochs;
    if (batch !== undefined) opts.batch = batch;
    if (lr !== undefined) opts.lr = lr;
    opts.mae = { ...D.mae, normPix: !values["raw-pixels"] };
    if (mask !== undefined) opts.mae.maskRatio = mask;
    if (seed !== undefined) opts.seed = seed;
    if (maxScans !== undefined) opts.maxScans = maxScans;
    if (threads !== undefined) opts.threads = threads;
    const r = await pipelines.pretrain(opts);
    const summary = {
      out: r.out,
      scans: r.scans,
      slices: r.slices,
      steps: r.steps,
      epochs: r.epochs.length,
      first_loss: r.epochs[0]?.loss ?? null,
      final_loss: r.epochs.at(-1)?.loss ?? null,
      train_seconds: Number(r.trainSeconds.toFixed(1)),
      load_seconds: Number(r.loadSeconds.toFixed(1)),
    };
    if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else
      process.stdout.write(
        `${opts.objective === "dense" ? "dense label" : "MAE"} pretraining: ${r.scans} scans, ${r.slices} slices, ${r.steps} steps; loss ${summary.first_loss?.toFixed(4)} (epoch 1) → ${summary.final_loss?.toFixed(4)} (epoch ${summary.epochs}) in ${summary.train_seconds} s; backbone written to ${r.out}\n`,
      );
    return 0;
  },
};
