// Small trained run folders shared by the predict, heat map and export tests: a 6-scan 32×32×8
// phantom set and one-epoch runs of a tiny random DINOv2 (same seed, so they can share it).
import { join } from "node:path";
import { generateHeadCtSet } from "../../phantom/index.js";
import { trainConfig } from "../../train/config.js";
import { runTask } from "./job.js";

export const FINDINGS = ["any_intracranial_hemorrhage", "hydrocephalus"];

export async function phantomSet(dir: string): Promise<string> {
  return (await generateHeadCtSet(join(dir, "set"), { n: 6, seed: 2, shape: [32, 32, 8], workers: 1 }))
    .manifest;
}

/** Trains one epoch of `model` on the set and returns the run folder. */
export async function trainRun(
  dir: string,
  name: string,
  manifest: string,
  model: Record<string, unknown>,
  preprocess: Record<string, unknown> = {},
): Promise<string> {
  const runDir = join(dir, name);
  const config = trainConfig({
    seed: 4,
    runDir,
    data: {
      manifest,
      findings: FINDINGS,
      preprocess: { size: [32, 32], slices: 8, planes: ["axial"], ...preprocess },
    },
    model: { backbone: "tiny-dinov2", initStd: 0.3, ...model },
    train: { epochs: 1, batchSize: 2 },
  });
  const r = await runTask(config, { progress: null });
  if (r.result.status !== "completed") throw new Error(`test run ${name}: ${r.result.status}`);
  return runDir;
}
