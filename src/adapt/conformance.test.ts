// The adapter conformance matrix (STYLE.md habit 9): every registered method runs the same
// checks. A new method adds one row here.
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import { tempDir } from "../../test/paths.js";
import { randn, releaseSessions } from "../engine/index.js";
import { InputError } from "../errors.js";
import { readSafetensors, writeSafetensors } from "../io/safetensors/index.js";
import { adapterMethodNames, applyMethod, loadAdapter, saveAdapter } from "./index.js";
import { maxAbsDiff, runModel, ToyDinov2 } from "./toy-models.js";

after(() => releaseSessions());

interface Row {
  method: string;
  options: Record<string, unknown>;
  peftType: string;
  /** Modules the method wraps. */
  targets: string[];
  /** Whether the method adds parameters (and so starts as an identity only because B = 0). */
  adds: boolean;
}

const Q = "encoder.layer.0.attention.attention.query";
const V = "encoder.layer.0.attention.attention.value";

const MATRIX: Row[] = [
  { method: "linear_probe", options: {}, peftType: "LINEAR_PROBE", targets: [], adds: false },
  { method: "full", options: { modulesToSave: ["classifier"] }, peftType: "FULL", targets: [], adds: false },
  {
    method: "lora",
    options: { r: 2, targetModules: ["query", "value", "projection"], modulesToSave: ["classifier"] },
    peftType: "LORA",
    targets: ["embeddings.patch_embeddings.projection", Q, V],
    adds: true,
  },
  {
    method: "molre",
    options: { r: 2, numExperts: 3, routing: "image", modulesToSave: ["classifier"] },
    peftType: "MOLRE",
    targets: [Q, V],
    adds: true,
  },
  {
    method: "molre",
    options: { r: 1, numExperts: 2, routing: "token", targetModules: String.raw`.*mlp\.fc[12]` },
    peftType: "MOLRE",
    targets: ["encoder.layer.0.mlp.fc1", "encoder.layer.0.mlp.fc2"],
    adds: true,
  },
];

const PIX = [2, 3, 4, 4];
const pixels = Float32Array.from(randn(96, 31));

function toy(): ToyDinov2 {
  const m = new ToyDinov2();
  let s = 1;
  for (const [, p] of m.namedParameters()) p.data = Float32Array.from(randn(p.size, s++), (v) => v * 0.3);
  return m;
}

test("every registered method has a row in the matrix", () => {
  assert.deepEqual(new Set(MATRIX.map((r) => r.method)), new Set(adapterMethodNames()));
});

for (const row of MATRIX) {
  const label = `${row.method} ${JSON.stringify(row.options)}`;

  test(`${label}: starts as the base model; summary counts match the model's flags`, async () => {
    const m = toy();
    const before = (await runModel(m, PIX, pixels)).y as Float32Array;
    const s = applyMethod(m, { method: row.method, ...row.options });
    assert.deepEqual(s.targets, row.targets);
    const after_ = (await runModel(m, PIX, pixels)).y as Float32Array;
    assert.ok(maxAbsDiff(before, after_) < 1e-6);
    const seen = new Set();
    let trainable = 0;
    let total = 0;
    for (const [, p] of m.namedParameters()) {
      if (seen.has(p)) continue;
      seen.add(p);
      total += p.size;
      if (p.trainable) trainable += p.size;
    }
    assert.equal(s.trainableParams, trainable);
    assert.equal(total - s.addedParams, new ToyDinov2().parameterCount());
    assert.equal(s.addedParams > 0, row.adds);
    assert.equal(s.fraction, s.addedParams / s.backboneParams);
  });

  test(`${label}: save → load gives identical tensors and outputs; a damaged file is an InputError`, async (t) => {
    const m = toy();
    applyMethod(m, { method: row.method, ...row.options });
    let s = 100;
    for (const [, p] of m.namedParameters())
      if (p.trainable) p.data = Float32Array.from(randn(p.size, s++), (v) => v * 0.2);
    const want = (await runModel(m, PIX, pixels)).y as Float32Array;
    const dir = tempDir(t);
    await saveAdapter(m, dir);
    const cfg = JSON.parse(await readFile(join(dir, "adapter_config.json"), "utf8"));
    assert.equal(cfg.peft_type, row.peftType);
    const f = await readSafetensors(join(dir, "adapter_model.safetensors"));
    const names = f.names();
    await f.close();
    assert.ok(names.every((k) => k.startsWith("base_model.model.") && !k.includes(".default.")));
    // Only adapter tensors and heads are saved, except by full fine-tuning.
    const trainableKeys = [...m.namedParameters()].filter(([, p]) => p.trainable).length;
    assert.equal(names.length, row.method === "full" ? [...m.namedParameters()].length : trainableKeys);

    const back = toy();
    await loadAdapter(back, dir);
    for (const [k, p] of m.namedParameters())
      assert.deepEqual([...back.getParameter(k).data], [...p.data], k);
    assert.equal(maxAbsDiff((await runModel(back, PIX, pixels)).y as Float32Array, want), 0);

    // Drop one tensor: loading names it.
    const src = await readSafetensors(join(dir, "adapter_model.safetensors"));
    const kept = new Map<string, { dtype: "F32"; shape: number[]; data: Float32Array }>();
    for (const k of names.slice(1))
      kept.set(k, { dtype: "F32", shape: src.info(k).shape, data: await src.float32(k) });
    await src.close();
    await rm(join(dir, "adapter_model.safetensors"));
    await writeSafetensors(join(dir, "adapter_model.safetensors"), kept);
    await assert.rejects(
      loadAdapter(toy(), dir),
      (e: unknown) => e instanceof InputError && e.message.includes(names[0] as string),
    );
    await writeFile(join(dir, "adapter_config.json"), "{not json");
    await assert.rejects(
      loadAdapter(toy(), dir),
      (e: unknown) => e instanceof InputError && /adapter_config\.json/.test(e.message),
    );
  });
}
