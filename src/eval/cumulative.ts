import { InputError } from "../errors.js";
import type { FindingMatrix } from "./finding-matrix.js";
import { type MacroAuc, macroAuc } from "./findings.js";
import { type EvalReport, type EvaluateOptions, evaluateFindings } from "./report.js";

/**
 * Collects (labels, probabilities) batch by batch during inference and evaluates them at the end
 * (MONAI's Cumulative pattern): the statistics are the pure functions of findings.ts, this class
 * only buffers. Rank metrics need every case, so nothing is reduced per batch.
 */
export class CumulativeFindings {
  private labels: number[] = [];
  private probs: number[] = [];
  private rows = 0;

  constructor(readonly cols: number) {}

  update(labels: FindingMatrix, probs: FindingMatrix): void {
    if (labels.cols !== this.cols || probs.cols !== this.cols || labels.rows !== probs.rows) {
      throw new InputError(
        `batch shapes ${labels.rows}×${labels.cols} (labels) and ${probs.rows}×${probs.cols} (probabilities) do not match ${this.cols} findings`,
      );
    }
    for (let k = 0; k < labels.rows * this.cols; k++) {
      this.labels.push(labels.data[k]!);
      this.probs.push(probs.data[k]!);
    }
    this.rows += labels.rows;
  }

  reset(): void {
    this.labels = [];
    this.probs = [];
    this.rows = 0;
  }

  get count(): number {
    return this.rows;
  }

  private matrices(): [FindingMatrix, FindingMatrix] {
    return [
      { rows: this.rows, cols: this.cols, data: Float64Array.from(this.labels) },
      { rows: this.rows, cols: this.cols, data: Float64Array.from(this.probs) },
    ];
  }

  auc(): MacroAuc {
    return macroAuc(...this.matrices());
  }

  aggregate(options: EvaluateOptions = {}): EvalReport {
    return evaluateFindings(...this.matrices(), options);
  }
}
