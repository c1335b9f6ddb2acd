// compile(): IR outputs → a runnable program. Inputs are fed by name each run; trainable
// parameters are fed from their current host arrays (so optimizers update them in place).
import { type AnyTypedArray, dtypeOfArray } from "../ir/dtype.js";
import { shapeStr, type Value } from "../ir/graph.js";
import { type SerializeOptions, serialize } from "../onnx/serialize.js";
import { openSession, type RuntimeOptions, runSession, type TensorIn } from "./session.js";

export interface CompileOptions extends RuntimeOptions, SerializeOptions {}

export class Program {
  private constructor(
    /** Graph inputs the caller feeds, by name. */
    readonly inputs: readonly Value[],
    /** Trainable parameters fed from `Value.data` at every run. */
    readonly trainable: readonly Value[],
    readonly outputs: Readonly<Record<string, Value>>,
    /** The serialised model (without external data), e.g. to save or inspect. */
    readonly model: Uint8Array,
    private readonly session: Awaited<ReturnType<typeof openSession>>,
  ) {}

  static async create(outputs: Record<string, Value>, opts: CompileOptions = {}): Promise<Program> {
    const location = opts.externalDataLocation ?? "model.onnx.data";
    // Past ~2 GB protobuf cannot hold the weights: they go to a side file (ONNX external data).
    const s = serialize(outputs, { externalDataThreshold: 1.8e9, ...opts, externalDataLocation: location });
    const runtime: RuntimeOptions = {};
    if (opts.provider) runtime.provider = opts.provider;
    if (opts.intraOpThreads !== undefined) runtime.intraOpThreads = opts.intraOpThreads;
    if (opts.interOpThreads !== undefined) runtime.interOpThreads = opts.interOpThreads;
    if (opts.optimization) runtime.optimization = opts.optimization;
    if (opts.profile !== undefined) runtime.profile = opts.profile;
    const session = await openSession(
      s.model,
      runtime,
      s.externalData ? { location, bytes: s.externalData } : undefined,
    );
    const inputs = s.feeds.filter((v) => v.kind === "input");
    const trainable = s.feeds.filter((v) => v.kind === "param");
    return new Program(inputs, trainable, outputs, s.model, session);
  }

  /** Runs once; `feeds` holds every graph input by name. Returns every output by name. */
  async run(feeds: Record<string, AnyTypedArray> = {}): Promise<Record<string, AnyTypedArray>> {
    const f: Record<string, TensorIn> = {};
    for (const v of this.inputs) {
      const data = feeds[v.name];
      if (!data) throw new Error(`run: missing input "${v.name}" ${shapeStr(v.shape)}`);
      if (data.length !== v.size || dtypeOfArray(data) !== v.dtype) {
        throw new Error(
          `run: input "${v.name}" needs ${v.size} ${v.dtype} values for ${shapeStr(v.shape)}, got ${data.length} ${dtypeOfArray(data)}`,
        );
      }
      f[v.name] = { dtype: v.dtype, dims: v.shape, data };
    }
    for (const p of this.trainable)
      f[p.name] = { dtype: p.dtype, dims: p.shape, data: p.data as AnyTypedArray };
    return runSession(this.session, f);
  }
}

/** Compiles `outputs` (name → value) into a cached ORT session. */
export function compile(outputs: Record<string, Value>, opts: CompileOptions = {}): Promise<Program> {
  return Program.create(outputs, opts);
}

/** One compiled training step: loss and the gradients of the trainable parameters in one run. */
export class TrainStep {
  private constructor(
    readonly program: Program,
    /** Trainable parameters, by name (their `data` is what an optimizer updates). */
    readonly params: ReadonlyMap<string, Value>,
  ) {}

  static async create(
    loss: Value,
    grads: Record<string, Value>,
    extra: Record<string, Value>,
    opts: CompileOptions,
  ): Promise<TrainStep> {
    const outputs: Record<string, Value> = { ...extra, loss };
    for (const [name, gv] of Object.entries(grads)) outputs[`grad.${name}`] = gv;
    const params = new Map(Object.keys(grads).map((n) => [n, loss.graph.paramByName(n) as Value]));
    return new TrainStep(await compile(outputs, opts), params);
  }

  /** Runs the step; `grads` maps parameter names to gradients (ready for `optimizer.step`). */
  async run(feeds: Record<string, AnyTypedArray>): Promise<{
    loss: number;
    grads: Map<string, Float32Array>;
    outputs: Record<string, AnyTypedArray>;
  }> {
    const out = await this.program.run(feeds);
    const grads = new Map<string, Float32Array>();
    for (const name of this.params.keys()) grads.set(name, out[`grad.${name}`] as Float32Array);
    return { loss: Number((out.loss as Float32Array)[0]), grads, outputs: out };
  }
}
