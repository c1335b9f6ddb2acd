import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * Starts a worker thread from a module file with the parent's Node flags, except `--input-type`:
 * that flag only applies to `--eval`/stdin, and a worker started from a file with it fails, so a
 * program run as `node --input-type=module -e …` could not use any of medadapt's thread pools.
 */
export function startWorker(file: URL, opts: Omit<WorkerOptions, "execArgv"> = {}): Worker {
  const execArgv = process.execArgv.filter((a) => !a.startsWith("--input-type"));
  return new Worker(file, { ...opts, execArgv });
}
