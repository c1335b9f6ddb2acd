/** Worker thread for generateHeadCtSet: writes the scans whose indices the main thread sends. */
import { parentPort, workerData } from "node:worker_threads";
import { serveMessages } from "../../worker.js";
import { type CaseJob, writeHeadCtCase } from "./generate.js";

const job = workerData as CaseJob;
serveMessages(async (m: { index: number }) => {
  try {
    await writeHeadCtCase(job, m.index);
    parentPort!.postMessage({ index: m.index });
  } catch (err) {
    parentPort!.postMessage({ index: m.index, error: (err as Error).message ?? String(err) });
  }
});
