/**
 * Early stopping on a metric to maximise (validation mean AUC): stop after `patience` epochs in
 * a row without an improvement of more than `minDelta` over the best so far. Its state is plain
 * JSON so that a resumed run stops at the same epoch as an uninterrupted one.
 */

export interface EarlyStoppingState {
  best: number | null;
  /** 0-based epoch of the best metric. */
  bestEpoch: number | null;
  /** Epochs since the last improvement. */
  bad: number;
}

export class EarlyStopping {
  state: EarlyStoppingState = { best: null, bestEpoch: null, bad: 0 };

  constructor(
    readonly patience: number,
    readonly minDelta = 0,
  ) {}

  /**
   * Records epoch `epoch`'s metric. Null (undefined: no validation case, or no finding with both
   * classes) is skipped: it neither improves nor uses up patience, so a run without a usable
   * validation set trains all its epochs. `stop` is never set when patience is 0.
   */
  update(metric: number | null, epoch: number): { improved: boolean; stop: boolean } {
    const s = this.state;
    if (metric === null) return { improved: false, stop: false };
    const improved = s.best === null || metric > s.best + this.minDelta;
    if (improved) {
      this.state = { best: metric, bestEpoch: epoch, bad: 0 };
    } else {
      s.bad += 1;
    }
    return { improved, stop: this.patience > 0 && this.state.bad >= this.patience };
  }
}
