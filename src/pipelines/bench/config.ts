/**
 * The bench config (`medadapt bench --config FILE`, JSON or YAML): shared `data:`, `train:` and
 * `model:` sections, the grid (`backbones` × `methods` × `seeds`), the output folder and the
 * baseline label. Each cell of the grid becomes an ordinary training config (`taskConfigFor`),
 * validated up front so a typo fails before anything trains.
 */
import { dirname, isAbsolute, join, resolve as resolvePath } from "node:path";
import { adapterMethodNames } from "../../adapt/index.js";
import { readConfigFile } from "../../config/file.js";
import { type FieldSpec, resolve } from "../../config/schema.js";
import { InputError } from "../../errors.js";
import { isKnownBackbone, taskModelConfig } from "../../tasks/classification/build.js";
import { POOLING_KINDS } from "../../tasks/classification/pooling.js";
import { type TrainConfig, trainConfig } from "../../train/config.js";

export interface BenchMethod {
  /** The name results and reports use ("baseline", "lora", …); unique. */
  label: string;
  /** The adaptation method id: linear_probe | full | lora | molre | any registered one. */
  method: string;
  /** The method's settings (PEFT names); {} = its defaults. */
  adapter: Record<string, unknown>;
  /** Slice pooling; absent = the model section's (default attention). */
  pooling?: string;
}

export interface BenchConfig {
  title: string;
  /** Shared sections of every run's training config. */
  data: Record<string, unknown>;
  train: Record<string, unknown>;
  model: Record<string, unknown>;
  backbones: string[];
  methods: BenchMethod[];
  seeds: number[];
  /** Output folder: runs/, cache/, results.json, report.html. */
  out: string;
  /** The method label DeLong tests compare against. */
  baseline: string;
  /** Bootstrap replicates of the test CIs. */
  bootstrap: number;
  /** Train frozen mean/max-pooling linear probes on cached slice embeddings. */
  cacheFeatures: boolean;
  /** Sample heat maps (PNG overlays) per run: the test split's most confident true positives. */
  heatmaps: number;
}

const BENCH_SCHEMA: FieldSpec = {
  type: "object",
  fields: {
    title: { type: "string", default: "medadapt bench" },
    data: { type: "record", default: {} },
    train: { type: "record", default: {} },
    model: { type: "record", default: {} },
    backbones: { type: "array", items: { type: "string", nonEmpty: true }, minItems: 1 },
    methods: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        fields: {
          label: { type: "string", nonEmpty: true },
          method: { type: "string", nonEmpty: true },
          adapter: { type: "record", default: {} },
          pooling: { type: "string", oneOf: POOLING_KINDS, default: "" },
        },
      },
    },
    seeds: {
      type: "array",
      items: { type: "number", integer: true, min: 0, max: 2 ** 32 - 1 },
      minItems: 1,
      default: [0],
    },
    out: { type: "string", nonEmpty: true },
    baseline: { type: "string", default: "" },
    bootstrap: { type: "number", integer: true, min: 0, default: 1000 },
    cacheFeatures: { type: "boolean", default: true },
    heatmaps: { type: "number", integer: true, min: 0, max: 50, default: 0 },
  },
};

// Keys of the model section the grid sets per run; a shared value would be silently overridden.
const GRID_MODEL_KEYS = ["backbone", "method", "adapter", "pooling"];

/**
 * The validated bench config with relative paths (out, data.manifest, backbone folders) made
 * absolute against `baseDir` (the config file's folder). Every problem in one InputError.
 */
export function benchConfig(raw: unknown, source = "bench config", baseDir = process.cwd()): BenchConfig {
  const errors: string[] = [];
  const c = resolve(BENCH_SCHEMA, raw ?? {}, "", errors) as BenchConfig & {
    methods: (BenchMethod & { pooling: string })[];
  };
  if (errors.length) throw new InputError(errors.join("; "), source);
  const known = new Set(adapterMethodNames());
  const labels = new Set<string>();
  c.methods.forEach((m, i) => {
    if (labels.has(m.label)) errors.push(`methods[${i}].label "${m.label}" is used twice`);
    labels.add(m.label);
    if (!/^[A-Za-z0-9_.-]+$/.test(m.label))
      errors.push(
        `methods[${i}].label must use letters, digits, _ . - only (it names run folders), got "${m.label}"`,
      );
    if (!known.has(m.method))
      errors.push(
        `methods[${i}].method must be one of ${[...known].map((k) => `"${k}"`).join(", ")}, got "${m.method}"`,
      );
    if (m.pooling === "") delete (m as Partial<BenchMethod>).pooling;
  });
  if (c.baseline === "") c.baseline = c.methods[0]!.label;
  else if (!labels.has(c.baseline))
    errors.push(`baseline "${c.baseline}" is not a method label (${[...labels].join(", ")})`);
  if (new Set(c.seeds).size !== c.seeds.length) errors.push("seeds must be distinct");
  if (new Set(c.backbones).size !== c.backbones.length) errors.push("backbones must be distinct");
  for (const k of GRID_MODEL_KEYS)
    if (k in c.model) errors.push(`model.${k} is set per run by backbones/methods; remove it from model`);
  if (errors.length) throw new InputError(errors.join("; "), source);
  c.out = resolvePath(baseDir, c.out);
  const manifest = c.data.manifest;
  if (typeof manifest === "string" && manifest !== "" && !isAbsolute(manifest))
    c.data.manifest = resolvePath(baseDir, manifest);
  c.backbones = c.backbones.map((b) => (isKnownBackbone(b) || isAbsolute(b) ? b : resolvePath(baseDir, b)));
  // Every cell as the trainer and model layer will see it, so their errors surface now.
  for (const b of c.backbones)
    for (const m of c.methods) {
      try {
        taskModelConfig(taskConfigFor(c, b, m, c.seeds[0]!).model);
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        throw new InputError(err.message, source);
      }
    }
  return c;
}

/** Reads and validates a bench config file (`.yaml`/`.yml` as YAML, anything else as JSON). */
export async function readBenchConfig(path: string): Promise<BenchConfig> {
  return benchConfig(await readConfigFile(path), path, dirname(resolvePath(path)));
}

/** A backbone as a folder-name-safe slug ("/x/models/demo-vit" → "demo-vit"). */
export function backboneSlug(backbone: string): string {
  const base = isKnownBackbone(backbone)
    ? backbone
    : backbone
        .replace(/[\\/]+$/, "")
        .split(/[\\/]/)
        .at(-1)!;
  return base.replace(/[^A-Za-z0-9_.-]+/g, "_") || "backbone";
}

/** The run folder of one grid cell. */
export function runDirFor(c: BenchConfig, backbone: string, label: string, seed: number): string {
  return join(c.out, "runs", `${backboneSlug(backbone)}-${label}-s${seed}`);
}

/** The training config of one grid cell: shared sections + this backbone, method and seed. */
export function taskConfigFor(c: BenchConfig, backbone: string, m: BenchMethod, seed: number): TrainConfig {
  const model: Record<string, unknown> = { ...structuredClone(c.model), backbone, method: m.method };
  model.adapter = structuredClone(m.adapter);
  if (m.pooling !== undefined) model.pooling = m.pooling;
  const cfg = trainConfig(
    {
      seed,
      runDir: runDirFor(c, backbone, m.label, seed),
      data: structuredClone(c.data),
      model,
      train: structuredClone(c.train),
    },
    "bench config",
  );
  if ((cfg.data.manifest as string) === "") throw new InputError("data.manifest is required", "bench config");
  return cfg;
}
