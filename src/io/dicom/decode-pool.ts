/**
 * A small pool of worker threads for compressed frames: JPEG 2000 and JPEG-LS decoding in WASM
 * is single-threaded and dominates the reading time of compressed series, so frames are spread
 * over workers while the calling thread reads files and stores results.
 */
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import { startWorker, stopWorker } from "../../worker.js";
import type { CodecJob, DecodedFrame } from "./codecs.js";

interface Pending {
  resolve: (d: DecodedFrame) => void;
  reject: (e: Error) => void;
}

const shared = new Map<number, DecodePool>();

export class DecodePool {
  readonly size: number;
  #workers: Worker[] = [];
  #pending = new Map<number, Pending>();
  #next = 0;
  #turn = 0;

  constructor(size: number) {
    this.size = Math.max(1, Math.floor(size));
  }

  /**
   * A pool kept for the life of the process, so starting threads and instantiating the WASM
   * codecs (a few hundred ms) is paid once. Idle workers do not keep the process alive.
   */
  static shared(size: number): DecodePool {
    let pool = shared.get(size);
    if (!pool) {
      pool = new DecodePool(size);
      shared.set(size, pool);
    }
    return pool;
  }

  /** Default worker count: one per core, at most 8. */
  static defaultSize(): number {
    return Math.min(8, availableParallelism());
  }

  #worker(): Worker {
    if (this.#workers.length < this.size) {
      const w = startWorker(new URL("./decode-worker.js", import.meta.url));
      w.on("message", (msg: { id: number; frame?: DecodedFrame; error?: string }) => {
        const p = this.#pending.get(msg.id);
        if (!p) return;
        this.#pending.delete(msg.id);
        if (this.#pending.size === 0) for (const x of this.#workers) x.unref();
        if (msg.frame) p.resolve(msg.frame);
        else p.reject(new Error(msg.error ?? "decoder worker failed"));
      });
      w.on("error", (e) => {
        for (const p of this.#pending.values()) p.reject(e);
        this.#pending.clear();
        // A broken worker is dropped; the next job starts a fresh one.
        this.#workers = this.#workers.filter((x) => x !== w);
        for (const x of this.#workers) x.unref();
      });
      this.#workers.push(w);
      return w;
    }
    return this.#workers[this.#turn++ % this.#workers.length]!;
  }

  decode(job: CodecJob): Promise<DecodedFrame> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      if (this.#pending.size === 0) for (const x of this.#workers) x.ref();
      this.#pending.set(id, { resolve, reject });
      // The data is a view into the file's bytes (a Buffer's slice() would be a view too): post
      // a copy of just this frame, not the whole file's buffer.
      this.#worker().postMessage({ id, job: { ...job, data: new Uint8Array(job.data) } });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => stopWorker(w)));
    this.#workers = [];
  }
}
