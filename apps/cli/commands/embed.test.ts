import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { readSafetensors, Volume, writeNifti } from "../../../src/index.js";
import { assertInputError, runCli } from "../../../test/cli.js";
import { fixture, tempDir } from "../../../test/paths.js";

async function read(path: string): Promise<Record<string, { data: Float32Array; shape: number[] }>> {
  const f = await readSafetensors(path);
  const out: Record<string, { data: Float32Array; shape: number[] }> = {};
  for (const n of f.names()) out[n] = { data: await f.float32(n), shape: f.info(n).shape };
  await f.close();
  return out;
}

test("medadapt embed --pixels writes transformers' outputs (DINOv3 layout, other input size)", async (t) => {
  const dir = tempDir(t);
  const io = fixture("nn", "dinov3", "io_40x48.safetensors");
  const out = join(dir, "out.safetensors");
  const r = runCli("embed", "--backbone", fixture("nn", "dinov3"), "--pixels", io, "--out", out, "--json");
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  assert.equal(rep.arch, "dinov3_vit");
  assert.equal(rep.tokens, 1 + 2 + 5 * 6);
  const got = await read(out);
  const ref = await read(io);
  for (const k of ["last_hidden_state", "pooler_output"]) {
    assert.deepEqual(got[k]?.shape, ref[k]?.shape);
    const a = got[k]?.data as Float32Array;
    const b = ref[k]?.data as Float32Array;
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
    assert.ok(m <= 1e-4, `${k}: ${m}`);
  }
});

test("medadapt embed --input embeds every axial slice of a CT (windows as channels)", async (t) => {
  const dir = tempDir(t);
  const [nx, ny, nz] = [20, 18, 3];
  const hu = new Float32Array(nx * ny * nz);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++)
        hu[(k * ny + j) * nx + i] = k === 2 ? hu[(1 * ny + j) * nx + i]! : -1000 + 60 * i + 40 * j + 500 * k;
  const affine = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1];
  const scan = join(dir, "ct.nii");
  await writeNifti(scan, Volume.fromReal(hu, [nx, ny, nz], affine));
  const out = join(dir, "features.safetensors");
  const r = runCli("embed", "--backbone", fixture("nn", "dinov2"), "--input", scan, "--out", out, "--json");
  assert.equal(r.code, 0, r.stderr);
  const f = await readSafetensors(out);
  assert.equal(f.metadata.modality, "ct");
  await f.close();
  const got = await read(out);
  assert.deepEqual(got.pooler_output?.shape, [3, 32]);
  assert.deepEqual(got.patch_mean?.shape, [3, 32]);
  const p = got.pooler_output?.data as Float32Array;
  const row = (s: number) => Array.from(p.subarray(s * 32, s * 32 + 32));
  // Slices 1 and 2 hold the same values, slice 0 different ones.
  assert.deepEqual(row(1), row(2));
  assert.notDeepEqual(row(0), row(1));
});

test("medadapt embed: bad arguments are one-line input errors", () => {
  const r = runCli("embed", "--backbone", fixture("nn", "dinov2"), "--out", "/tmp/x.safetensors");
  assertInputError(r, "--pixels", /exactly one of --pixels and --input/);
  const bad = runCli("embed", "--backbone", fixture("nn"), "--pixels", "x", "--out", "/tmp/x.safetensors");
  assertInputError(bad, fixture("nn"), /config\.json/);
});

test("medadapt models --json: DINOv2-base has 86,580,480 parameters; LoRA r8 on q,v adds 2·12·8·(768+768)", () => {
  const r = runCli("models", "--json");
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout).models as {
    name: string;
    params: number;
    lora: { params: number };
    molre: { params: number };
  }[];
  const base = rows.find((m) => m.name === "dinov2-base");
  // By hand: cls + mask 2·768, positions 1370·768, patch conv 768·3·14² + 768, 12 layers of
  // 7,089,408 (2 LN, 4 Linear 768², 2 LayerScale, MLP 768↔3072), final LN 2·768.
  assert.equal(base?.params, 86_580_480);
  assert.equal(base?.lora.params, 2 * 12 * 8 * (768 + 768));
  assert.equal(base?.molre.params, 2 * 12 * (4 * 4 * (768 + 768) + 4 * 768));
});
