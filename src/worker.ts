import { parentPort, Worker, type WorkerOptions } from "node:worker_threads";

/**
 * Starts a worker thread from a module file with the parent's Node flags, except `--input-type`:
 * that flag only applies to `--eval`/stdin, and a worker started from a file with it fails, so a
 * program run as `node --input-type=module -e …` could not use any of medadapt's thread pools.
 */
export function startWorker(file: URL, opts: Omit<WorkerOptions, "execArgv"> = {}): Worker {
  const execArgv = process.execArgv.filter((a) => !a.startsWith("--input-type"));
  return new Worker(file, { ...opts, execArgv });
}

/** The message that asks a thread served by `serveMessages` to finish. */
const STOP = { "medadapt:stop": true } as const;

function isStop(m: unknown): boolean {
  return typeof m === "object" && m !== null && (m as Record<string, unknown>)["medadapt:stop"] === true;
}

/**
 * How long a stopping thread stays idle before its port closes. Node before 24 unregisters a
 * worker's isolate from the platform before disposing it (fixed upstream by DisposeIsolate in
 * Node 24); a background V8 job (a TurboFan compile started by the last task) that allocates in
 * that window aborts the whole process with "NodePlatform::ForIsolate … data.first != nullptr"
 * (it happened once in CI). `worker.terminate()` stops a thread mid-task, when such jobs are
 * most likely in flight; an idle pause lets them finish before teardown.
 */
const QUIESCE_MS = 25;

/**
 * The body of a pool thread: `handle` gets every message but the stop request, which closes the
 * port once the thread has been idle for a moment, so the thread ends on its own.
 */
export function serveMessages<M>(handle: (msg: M) => unknown): void {
  const port = parentPort!;
  port.on("message", (msg: unknown) => {
    if (isStop(msg)) setTimeout(() => port.close(), QUIESCE_MS);
    else void handle(msg as M);
  });
}

/**
 * Stops a thread that runs `serveMessages`: asks it to finish (the task it is running completes
 * first) and waits for it to exit; a thread still running after `timeoutMs` is terminated.
 */
export function stopWorker(w: Worker, timeoutMs = 10_000): Promise<void> {
  if (w.threadId < 0) return Promise.resolve(); // already exited
  return new Promise((resolve) => {
    const timer = setTimeout(() => void w.terminate(), timeoutMs);
    w.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    w.ref(); // a pool may have unref'd its idle threads; the exit must still be awaited
    w.postMessage(STOP);
  });
}
