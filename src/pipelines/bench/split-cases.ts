/**
 * The cases of one split as a training config resolves them (the manifest's split column, or the
 * seeded stratified split of `data.split`), with the same label selection `setupTask` uses.
 */
import { type DataCase, readManifest, type SplitName } from "../../data/manifest.js";
import { casesIn, resolveSplits, type SplitOptions } from "../../data/splits.js";
import type { TrainConfig } from "../../train/config.js";

export async function splitCases(
  config: TrainConfig,
  split: SplitName,
): Promise<{ findings: string[]; cases: DataCase[] }> {
  const wanted = config.data.findings as string[];
  const manifest = await readManifest(
    config.data.manifest as string,
    wanted.length ? { labels: wanted } : {},
  );
  const splits = resolveSplits(manifest, (config.data.split ?? {}) as SplitOptions);
  return { findings: manifest.findings, cases: casesIn(manifest.cases, splits, split) };
}
