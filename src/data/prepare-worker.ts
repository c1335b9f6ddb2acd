// A worker thread of the prefetching pool (prefetch.ts): prepares (and augments) one case per
// message and posts the tensors back, transferring their buffers.
import { parentPort } from "node:worker_threads";
import { InputError } from "../errors.js";
import { serveMessages } from "../worker.js";
import { applyAugment } from "./augment.js";
import { type PrepareJob, prepareJob } from "./prepare-job.js";

serveMessages(async (msg: { seq: number; job: PrepareJob }) => {
  try {
    let item = await prepareJob(msg.job);
    if (msg.job.augment) item = applyAugment(item, msg.job.augment);
    const transfer = [
      ...item.input.views.map((v) => v.data.buffer),
      ...Object.values(item.masks).flatMap((ms) => ms.map((m) => m.data.buffer)),
    ] as ArrayBuffer[];
    parentPort!.postMessage({ seq: msg.seq, item }, [...new Set(transfer)]);
  } catch (err) {
    const e = err as Error;
    parentPort!.postMessage({
      seq: msg.seq,
      error: { message: e?.message ?? String(err), input: err instanceof InputError, stack: e?.stack },
    });
  }
});
