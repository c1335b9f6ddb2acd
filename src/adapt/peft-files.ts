// PEFT's on-disk adapter layout: a folder with `adapter_config.json` (the method's config, PEFT
// field names, no runtime fields) and `adapter_model.safetensors` (adapter tensors only, keys
// `base_model.model.<module path>.<tensor>` with the adapter name stripped).
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { InputError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic.js";
import { readSafetensors, writeSafetensors } from "../io/safetensors/index.js";
import type { Parameter } from "../nn/index.js";

export const CONFIG_FILE = "adapter_config.json";
export const WEIGHTS_FILE = "adapter_model.safetensors";
/** What PEFT puts in front of module paths (PeftModel.base_model = tuner, tuner.model = the model). */
export const KEY_PREFIX = "base_model.model.";

export async function writeAdapterFolder(
  dir: string,
  config: Record<string, unknown>,
  tensors: ReadonlyMap<string, Parameter>,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const st = new Map<string, { dtype: "F32"; shape: number[]; data: Float32Array }>();
  for (const [k, p] of tensors) st.set(k, { dtype: "F32", shape: [...p.shape], data: p.data });
  // PEFT saves with safetensors' torch helper, which records the format in the metadata.
  await writeSafetensors(join(dir, WEIGHTS_FILE), st, { format: "pt" });
  await writeFileAtomic(join(dir, CONFIG_FILE), `${JSON.stringify(sortKeys(config), null, 2)}\n`);
}

export async function readAdapterConfig(dir: string): Promise<Record<string, unknown>> {
  const path = join(dir, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new InputError(
      `cannot read the adapter config (${(err as NodeJS.ErrnoException).code ?? err})`,
      path,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError(`not valid JSON (${(err as Error).message})`, path);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new InputError("the adapter config must be a JSON object", path);
  return json as Record<string, unknown>;
}

/**
 * Reads the adapter tensors into `expected` (key → parameter of the model). Missing, unexpected
 * and mis-shaped keys are all reported in one InputError before anything is copied.
 */
export async function readAdapterTensors(
  dir: string,
  expected: ReadonlyMap<string, Parameter>,
): Promise<void> {
  const path = join(dir, WEIGHTS_FILE);
  const file = await readSafetensors(path);
  try {
    const got = new Map(file.names().map((k) => [k, file.info(k).shape] as const));
    checkKeys(expected, got, path);
    for (const [k, p] of expected) p.data.set(await file.float32(k));
  } finally {
    await file.close();
  }
}

export function checkKeys(
  expected: ReadonlyMap<string, Parameter>,
  got: ReadonlyMap<string, readonly number[]>,
  source: string,
): void {
  const missing = [...expected.keys()].filter((k) => !got.has(k));
  const unexpected = [...got.keys()].filter((k) => !expected.has(k));
  const misshaped: string[] = [];
  for (const [k, p] of expected) {
    const s = got.get(k);
    if (s && (s.length !== p.shape.length || s.some((d, i) => d !== p.shape[i])))
      misshaped.push(`${k} [${s.join(",")}] (model [${p.shape.join(",")}])`);
  }
  const parts: string[] = [];
  const list = (label: string, xs: string[]) => {
    if (!xs.length) return;
    const shown = xs.slice(0, 8).join(", ");
    parts.push(`${xs.length} ${label}: ${shown}${xs.length > 8 ? `, … (${xs.length - 8} more)` : ""}`);
  };
  list("missing", missing);
  list("unexpected", unexpected);
  list("mis-shaped", misshaped);
  if (parts.length) throw new InputError(`adapter tensors do not fit the model: ${parts.join("; ")}`, source);
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
