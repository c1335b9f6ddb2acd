/**
 * Probabilities of a trained run on a whole split (the test split for a bench), through the same
 * loader and prediction program the trainer validates with: the run's model rebuilt with its best
 * weights (`loadTaskModel`), the split's cases preprocessed by the data layer, `Trainer.predict`.
 */
import type { PreprocessConfig } from "../../data/config.js";
import type { SplitName } from "../../data/manifest.js";
import { InputError } from "../../errors.js";
import { writeFileAtomic } from "../../io/atomic.js";
import { loaderData } from "../../train/loader-data.js";
import { Trainer } from "../../train/trainer.js";
import { activateTask, type LoadedTaskModel } from "../classification/predict.js";
import { anyMc3dTrainable } from "../classification/trainable.js";
import { splitCases } from "./split-cases.js";

export interface SplitPredictions {
  ids: string[];
  findings: string[];
  /** [N, F] row-major sigmoid probabilities. */
  probs: Float32Array;
  /** [N, F] labels (NaN: not labelled). */
  labels: Float32Array;
  /** Epoch (1-based) of the checkpoint the weights came from. */
  epoch: number;
}

/** Predicts `split` with a loaded run (`loadTaskModel(runDir)`). */
export async function predictSplit(m: LoadedTaskModel, split: SplitName = "test"): Promise<SplitPredictions> {
  activateTask(m);
  const { findings, cases } = await splitCases(m.config, split);
  if (cases.length === 0)
    throw new InputError(`the ${split} split is empty`, m.config.data.manifest as string);
  if (findings.join() !== m.findings.join())
    throw new InputError(
      `the manifest's findings (${findings.join(", ")}) differ from the run's (${m.findings.join(", ")})`,
      m.config.data.manifest as string,
    );
  const data = loaderData({
    findings,
    train: cases,
    val: cases,
    loader: { config: m.config.data.preprocess as PreprocessConfig, batchSize: m.config.train.batchSize },
  });
  const trainer = new Trainer(anyMc3dTrainable(m.built.model), data, m.config);
  const { rows, probs, labels } = await trainer.predict(data.val());
  if (rows !== cases.length) throw new Error(`predictSplit: ${rows} predictions for ${cases.length} cases`);
  return { ids: cases.map((c) => c.id), findings, probs, labels, epoch: m.epoch };
}

/** `id,<finding>,…` with one row per case: the format `medadapt eval --predictions` reads. */
export function predictionsCsv(p: Pick<SplitPredictions, "ids" | "findings" | "probs">): string {
  const f = p.findings.length;
  const quote = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [["id", ...p.findings].map(quote).join(",")];
  p.ids.forEach((id, i) => {
    // Float32 values printed as the shortest decimal of their double: read back exactly.
    lines.push([quote(id), ...Array.from(p.probs.subarray(i * f, (i + 1) * f), String)].join(","));
  });
  return `${lines.join("\n")}\n`;
}

export async function writePredictionsCsv(path: string, p: SplitPredictions): Promise<void> {
  await writeFileAtomic(path, predictionsCsv(p));
}
