import { basename } from "node:path";
import { writeFileAtomic } from "../../io/atomic.js";
import type { Value } from "../ir/graph.js";
import { type SerializeOptions, serialize } from "./serialize.js";

/**
 * Writes `outputs` as an ONNX model file. Above `externalDataThreshold` bytes of weights, they go
 * to `<file>.data` next to it (ONNX external data; needed past protobuf's 2 GB limit).
 * Both files are written through temporary names.
 */
export async function saveOnnx(
  path: string,
  outputs: Record<string, Value>,
  opts: Omit<SerializeOptions, "externalDataLocation"> = {},
): Promise<{ external: boolean }> {
  const location = `${basename(path)}.data`;
  const s = serialize(outputs, { externalDataThreshold: 1.8e9, ...opts, externalDataLocation: location });
  if (s.externalData) await writeFileAtomic(`${path}.data`, s.externalData);
  await writeFileAtomic(path, s.model);
  return { external: s.externalData !== undefined };
}
