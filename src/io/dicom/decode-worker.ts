/**
 * Worker thread body for DecodePool: decodes compressed frames with its own codec instances and
 * sends the samples back (transferred, not copied).
 */
import { parentPort } from "node:worker_threads";
import { serveMessages } from "../../worker.js";
import { type CodecJob, CodecSet } from "./codecs.js";

const codecs = new CodecSet();
serveMessages(async (msg: { id: number; job: CodecJob }) => {
  try {
    const d = await codecs.decode(msg.job);
    parentPort!.postMessage({ id: msg.id, frame: d }, [d.samples.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
  }
});
