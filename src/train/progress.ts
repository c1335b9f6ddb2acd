/**
 * Training progress on stderr: on a terminal a self-redrawing bar with loss, validation AUC and
 * ETA; otherwise (logs, CI, pipes) one line per epoch.
 */
import type { EpochRecord } from "./checkpoint.js";

/** Where progress goes: process.stderr, or any sink in tests. */
export interface ProgressSink {
  isTTY?: boolean;
  write(text: string): unknown;
}

export class Progress {
  readonly #sink: ProgressSink;
  readonly #tty: boolean;
  readonly #epochs: number;
  readonly #steps: number;
  /** Seconds per step measured in this process (a resumed run starts measuring afresh). */
  #measured = { steps: 0, seconds: 0 };
  #epochStart = 0;
  #lastDraw = 0;
  #lastAuc: number | null = null;

  constructor(sink: ProgressSink, epochs: number, stepsPerEpoch: number) {
    this.#sink = sink;
    this.#tty = sink.isTTY === true;
    this.#epochs = epochs;
    this.#steps = stepsPerEpoch;
  }

  startEpoch(): void {
    this.#epochStart = performance.now();
  }

  /** After step `i` (1-based) of 0-based epoch `epoch`, with the running mean loss. */
  step(epoch: number, i: number, loss: number): void {
    if (!this.#tty) return;
    const now = performance.now();
    if (now - this.#lastDraw < 100 && i < this.#steps) return;
    this.#lastDraw = now;
    const elapsed = (now - this.#epochStart) / 1000;
    const perStep = (this.#measured.seconds + elapsed) / Math.max(1, this.#measured.steps + i);
    const left = (this.#epochs - epoch - 1) * this.#steps + (this.#steps - i);
    const width = 24;
    const filled = Math.round((width * Math.min(i, this.#steps)) / Math.max(1, this.#steps));
    const auc = this.#lastAuc === null ? "–" : this.#lastAuc.toFixed(4);
    this.#sink.write(
      `\r\x1b[Kepoch ${epoch + 1}/${this.#epochs} ${"█".repeat(filled)}${"░".repeat(width - filled)} ${i}/${this.#steps} loss ${loss.toFixed(4)} val AUC ${auc} ETA ${duration(perStep * left)}`,
    );
  }

  endEpoch(r: EpochRecord, stepsThisEpoch: number): void {
    this.#measured.steps += stepsThisEpoch;
    this.#measured.seconds += r.seconds;
    this.#lastAuc = r.valMeanAuc;
    const perStep = this.#measured.seconds / Math.max(1, this.#measured.steps);
    const eta = duration(perStep * (this.#epochs - r.epoch) * this.#steps);
    const auc = r.valMeanAuc === null ? "undefined" : r.valMeanAuc.toFixed(4);
    const line = `epoch ${r.epoch}/${this.#epochs}  loss ${r.trainLoss.toFixed(4)}  val mean AUC ${auc}  ${r.seconds.toFixed(1)} s  ETA ${eta}`;
    this.#sink.write(this.#tty ? `\r\x1b[K${line}\n` : `${line}\n`);
  }

  message(text: string): void {
    this.#sink.write(this.#tty ? `\r\x1b[K${text}\n` : `${text}\n`);
  }
}

/** "1h02m", "3m05s", "12s". */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
