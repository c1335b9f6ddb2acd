// The only module that imports onnxruntime: session creation (cached per model and options),
// execution-provider choice, and feeding/reading typed arrays.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import type { AnyTypedArray, DType } from "../ir/dtype.js";

export type ExecutionProvider = "cpu" | "cuda" | "webgpu";

export interface RuntimeOptions {
  /** Execution provider (default "cpu"); an unavailable one is an error, never a silent fallback. */
  provider?: ExecutionProvider;
  /** Threads inside one op (default: ORT's choice, i.e. all cores). */
  intraOpThreads?: number;
  /** Threads across independent ops (default 1). */
  interOpThreads?: number;
  /** ORT graph optimisation level (default "all"). */
  optimization?: "disabled" | "basic" | "extended" | "all";
  /**
   * Write ORT's per-node profile (Chrome trace JSON, one event per kernel run) to files named
   * PREFIX_<date>.json when the session ends (`releaseSessions`): where a program's time goes.
   */
  profile?: string;
}

export interface TensorIn {
  dtype: DType;
  dims: readonly number[];
  data: AnyTypedArray;
}

/** Providers this onnxruntime-node build can load. */
export function availableProviders(): string[] {
  return ort
    .listSupportedBackends()
    .filter((b) => b.bundled || b.name === "cpu")
    .map((b) => b.name);
}

function sessionOptions(o: RuntimeOptions): ort.InferenceSession.SessionOptions {
  const provider = o.provider ?? "cpu";
  const available = availableProviders();
  if (!available.includes(provider)) {
    throw new Error(
      `execution provider "${provider}" is not available in this onnxruntime-node install (available: ${available.join(", ")})`,
    );
  }
  const s: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: o.optimization ?? "all",
    interOpNumThreads: o.interOpThreads ?? 1,
    executionMode: "sequential",
  };
  if (o.intraOpThreads !== undefined) s.intraOpNumThreads = o.intraOpThreads;
  if (o.profile !== undefined) {
    s.enableProfiling = true;
    s.profileFilePrefix = o.profile;
  }
  return s;
}

const cache = new Map<string, Promise<ort.InferenceSession>>();
const profiled = new WeakSet<ort.InferenceSession>();

/**
 * A session for `model` (cached by the model's hash and the options). With external data the
 * model and its side file are written to a temporary folder, since ORT resolves the data's
 * location relative to the model file.
 */
export function openSession(
  model: Uint8Array,
  options: RuntimeOptions,
  externalData?: { location: string; bytes: Uint8Array },
): Promise<ort.InferenceSession> {
  const h = createHash("sha256").update(model);
  if (externalData) h.update(externalData.bytes);
  const key = `${h.digest("hex")}|${JSON.stringify(options)}`;
  let s = cache.get(key);
  if (!s) {
    const so = sessionOptions(options);
    if (externalData) {
      const dir = mkdtempSync(join(tmpdir(), "medadapt-onnx-"));
      const path = join(dir, "model.onnx");
      writeFileSync(path, model);
      writeFileSync(join(dir, externalData.location), externalData.bytes);
      s = ort.InferenceSession.create(path, so).finally(() => rmSync(dir, { recursive: true, force: true }));
    } else {
      s = ort.InferenceSession.create(model, so);
    }
    const provider = so.executionProviders?.[0] as string;
    if (so.enableProfiling)
      s = s.then((session) => {
        profiled.add(session);
        return session;
      });
    s = s.catch((e: Error) => {
      cache.delete(key);
      throw new Error(`onnxruntime (${provider}) could not load the program: ${e.message}`);
    });
    cache.set(key, s);
  }
  return s;
}

/** Opens a model file (e.g. one written by `saveOnnx`), uncached. */
export function openSessionFile(path: string, options: RuntimeOptions = {}): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path, sessionOptions(options));
}

/** Drops cached sessions (frees their memory). */
export async function releaseSessions(): Promise<void> {
  const all = [...cache.values()];
  cache.clear();
  for (const p of all) {
    const s = await p.catch(() => undefined);
    if (!s) continue;
    // A profiling session writes its trace file here (onnxruntime-node does not on release).
    if (profiled.has(s)) s.endProfiling();
    await s.release();
  }
}

export async function runSession(
  session: ort.InferenceSession,
  feeds: Record<string, TensorIn>,
): Promise<Record<string, AnyTypedArray>> {
  const f: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    f[name] = new ort.Tensor(t.dtype, t.data as never, [...t.dims]);
  }
  const out = await session.run(f);
  const res: Record<string, AnyTypedArray> = {};
  for (const [name, t] of Object.entries(out)) res[name] = t.data as AnyTypedArray;
  return res;
}
