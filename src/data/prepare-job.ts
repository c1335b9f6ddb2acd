// What one prefetch job carries across a thread boundary: plain data only (structured clone).
import type { AugmentParams } from "./augment.js";
import type { PreprocessConfig } from "./config.js";
import type { DataCase } from "./manifest.js";
import { type PreparedCase, prepareCase } from "./pipeline.js";

export interface PrepareJob {
  item: DataCase;
  config: PreprocessConfig;
  masks: string[];
  augment?: AugmentParams;
}

/** Loads and preprocesses a job's case (augmentation is applied by the caller). */
export function prepareJob(job: PrepareJob): Promise<PreparedCase> {
  return prepareCase(job.item, job.config, { masks: job.masks });
}
