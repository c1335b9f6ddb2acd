import { stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import {
  InputError,
  readSafetensors,
  readSafetensorsIndex,
  SAFETENSORS_DTYPES,
  type SafetensorsDType,
} from "../../../src/index.js";
import { type Command, onePath } from "../command.js";

const USAGE = `usage: medadapt tensors PATH [--stats] [--filter REGEX] [--json]

Lists the tensors of a safetensors checkpoint: a .safetensors file, a sharded checkpoint's
*.safetensors.index.json, or a folder holding either (model.safetensors or one index).
Only the header is read unless --stats is given.

options:
  --stats         also read each tensor and report min, max, mean, std and NaN count (as Float32)
  --filter REGEX  only tensors whose name matches REGEX
  --json          one JSON object on stdout: {path, format, metadata, tensors: [{name, dtype, shape,
                  bytes, shard?, stats?}], total: {tensors, elements, bytes}}
`;

interface Stats {
  min: number;
  max: number;
  mean: number;
  std: number;
  nan: number;
}

interface Row {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  bytes: number;
  shard?: string;
  stats?: Stats;
}

/** Float64 sums, NaN counted and left out. */
function stats(v: Float32Array): Stats {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  let nan = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (Number.isNaN(x)) {
      nan++;
      continue;
    }
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
  }
  const n = v.length - nan;
  const mean = n > 0 ? sum / n : Number.NaN;
  let sq = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!Number.isNaN(x)) sq += (x - mean) * (x - mean);
  }
  return n > 0
    ? { min, max, mean, std: Math.sqrt(sq / n), nan }
    : { min: Number.NaN, max: Number.NaN, mean, std: Number.NaN, nan };
}

interface Source {
  format: "safetensors" | "safetensors-sharded";
  metadata: Record<string, unknown>;
  rows: Row[];
  float32(name: string): Promise<Float32Array>;
  close(): Promise<void>;
}

async function openSource(path: string): Promise<Source> {
  let target = path;
  const s = await stat(path).catch(() => {
    throw new InputError("no such file or folder", path);
  });
  if (s.isDirectory()) {
    const single = join(path, "model.safetensors");
    if (
      await stat(single).then(
        () => true,
        () => false,
      )
    )
      target = single;
  }
  if (target.endsWith(".safetensors")) {
    const f = await readSafetensors(target);
    const rows = f.names().map((name) => {
      const info = f.info(name);
      return { name, dtype: info.dtype, shape: info.shape, bytes: info.dataOffsets[1] - info.dataOffsets[0] };
    });
    return {
      format: "safetensors",
      metadata: { ...f.metadata },
      rows,
      float32: (n) => f.float32(n),
      close: () => f.close(),
    };
  }
  const ck = await readSafetensorsIndex(target);
  const rows: Row[] = [];
  for (const shardPath of ck.shards()) {
    const f = await ck.shard(shardPath);
    for (const name of ck.names()) {
      if (ck.shardOf(name) !== shardPath) continue;
      const info = f.info(name);
      const bytes = info.dataOffsets[1] - info.dataOffsets[0];
      rows.push({ name, dtype: info.dtype, shape: info.shape, bytes, shard: basename(shardPath) });
    }
  }
  return {
    format: "safetensors-sharded",
    metadata: { ...ck.metadata },
    rows,
    float32: (n) => ck.float32(n),
    close: () => ck.close(),
  };
}

function fmt(v: number): string {
  if (!Number.isFinite(v) || v === 0) return String(v);
  const a = Math.abs(v);
  return a >= 1e5 || a < 1e-3 ? v.toPrecision(4) : String(Number(v.toFixed(4)));
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 2 ** 20) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 2 ** 30) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

export const tensors: Command = {
  name: "tensors",
  summary: "list the tensors of a safetensors checkpoint (names, dtypes, shapes, sizes, statistics)",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        json: { type: "boolean", default: false },
        stats: { type: "boolean", default: false },
        filter: { type: "string" },
      },
      allowPositionals: true,
    });
    const path = onePath(positionals);
    let filter: RegExp | undefined;
    try {
      filter = values.filter === undefined ? undefined : new RegExp(values.filter);
    } catch (err) {
      throw new InputError(`bad --filter (${(err as Error).message})`);
    }
    const src = await openSource(path);
    try {
      const rows = src.rows.filter((r) => !filter || filter.test(r.name));
      if (values.stats) for (const r of rows) r.stats = stats(await src.float32(r.name));
      const elements = rows.reduce((n, r) => n + r.bytes / SAFETENSORS_DTYPES[r.dtype].bytes, 0);
      const total = { tensors: rows.length, elements, bytes: rows.reduce((n, r) => n + r.bytes, 0) };
      if (values.json) {
        process.stdout.write(
          `${JSON.stringify({ path, format: src.format, metadata: src.metadata, tensors: rows, total })}\n`,
        );
        return 0;
      }
      const width = Math.min(60, Math.max(4, ...rows.map((r) => r.name.length)));
      const lines = rows.map((r) => {
        const base = `  ${r.name.padEnd(width)} ${r.dtype.padEnd(7)} ${`[${r.shape.join(", ")}]`.padEnd(18)} ${size(r.bytes).padStart(10)}`;
        const st = r.stats;
        const extra = st
          ? `  min ${fmt(st.min)} max ${fmt(st.max)} mean ${fmt(st.mean)} std ${fmt(st.std)}${st.nan ? ` NaN ${st.nan}` : ""}`
          : "";
        return `${base}${r.shard ? `  ${r.shard}` : ""}${extra}`;
      });
      const meta = Object.entries(src.metadata).map(
        ([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`,
      );
      process.stdout.write(
        `${path}: ${src.format}, ${total.tensors} tensors, ${total.elements} elements, ${size(total.bytes)}\n` +
          (meta.length ? `  metadata: ${meta.join(", ")}\n` : "") +
          `${lines.join("\n")}\n`,
      );
      return 0;
    } finally {
      await src.close();
    }
  },
};
