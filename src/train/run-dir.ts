/**
 * A run folder: config.json (the resolved config), metrics.jsonl (one line per epoch), log.txt,
 * checkpoints/last/ and checkpoints/best/, summary.json once the run ends. Every file is written
 * whole through a temporary name; metrics.jsonl is rewritten from the checkpoint's history, so it
 * always agrees with checkpoints/last after a kill.
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { InputError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic.js";
import type { EpochRecord } from "./checkpoint.js";
import { type TrainConfig, trainConfig } from "./config.js";

export class RunDir {
  readonly #log: string[] = [];

  constructor(readonly path: string) {}

  get lastCheckpoint(): string {
    return join(this.path, "checkpoints", "last");
  }

  get bestCheckpoint(): string {
    return join(this.path, "checkpoints", "best");
  }

  async create(config: TrainConfig): Promise<void> {
    await mkdir(join(this.path, "checkpoints"), { recursive: true });
    await writeFileAtomic(join(this.path, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
  }

  /** The run's config, validated again (the file may have been edited). */
  async readConfig(): Promise<TrainConfig> {
    const file = join(this.path, "config.json");
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch {
      throw new InputError("not a run folder (no config.json)", this.path);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new InputError(`not valid JSON: ${(err as Error).message}`, file);
    }
    return trainConfig(raw, file);
  }

  /** Continues an existing log.txt (after a resume). */
  async openLog(): Promise<void> {
    try {
      const text = await readFile(join(this.path, "log.txt"), "utf8");
      this.#log.push(...text.split("\n").filter((l) => l !== ""));
    } catch {
      // no log yet
    }
  }

  log(line: string): void {
    this.#log.push(`${new Date().toISOString()} ${line}`);
  }

  async flushLog(): Promise<void> {
    await writeFileAtomic(join(this.path, "log.txt"), `${this.#log.join("\n")}\n`);
  }

  async writeMetrics(history: readonly EpochRecord[]): Promise<void> {
    await writeFileAtomic(
      join(this.path, "metrics.jsonl"),
      history.map((r) => `${JSON.stringify(r)}\n`).join(""),
    );
  }

  async writeSummary(summary: unknown): Promise<void> {
    await writeFileAtomic(join(this.path, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  }
}
