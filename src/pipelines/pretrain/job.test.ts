import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { tempDir } from "../../../test/paths.js";
import { releaseSessions } from "../../engine/index.js";
import { InputError } from "../../errors.js";
import { readNifti } from "../../io/nifti/read.js";
import { loadBackbone } from "../../nn/checkpoints/hf.js";
import { generateHeadCtSet } from "../../phantom/index.js";
import { pretrain } from "./job.js";

let dir = "";
let manifest = "";
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "medadapt-pretrain-"));
  manifest = (await generateHeadCtSet(join(dir, "set"), { n: 3, seed: 5, shape: [32, 32, 4], workers: 1 }))
    .manifest;
});
after(() => {
  releaseSessions();
  rmSync(dir, { recursive: true, force: true });
});

const tiny = {
  backbone: {
    model_type: "dinov2",
    hidden_size: 16,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    mlp_ratio: 2,
    image_size: 16,
    patch_size: 4,
    num_channels: 3,
  },
  mae: { maskRatio: 0.75, decoderDim: 16, decoderDepth: 1, decoderHeads: 2, normPix: true },
  batch: 4,
  epochs: 2,
  lr: 3e-3,
  seed: 9,
  log: () => {},
};

async function weights(dir: string): Promise<Map<string, Float32Array>> {
  const b = await loadBackbone(dir);
  return new Map([...b.model.namedParameters()].map(([k, p]) => [k, p.data]));
}

test("pretrain: every axial slice, a loadable DINOv2 folder and its record; stop + resume equals one run", async (t) => {
  const full = join(tempDir(t), "full");
  const r = await pretrain({ ...tiny, manifest, out: full });
  // 3 scans of 4 axial slices; 12 slices in batches of 4 → 3 steps per epoch.
  assert.equal(r.scans, 3);
  assert.equal(r.slices, 12);
  assert.equal(r.steps, 6);
  assert.equal(r.epochs.length, 2);
  assert.ok(r.epochs.every((e) => Number.isFinite(e.loss) && e.loss > 0));
  assert.equal(existsSync(join(full, ".pretrain-checkpoint")), false);
  const rec = JSON.parse(readFileSync(join(full, "pretraining.json"), "utf8"));
  assert.equal(rec.method, "mae");
  assert.equal(rec.epochs.length, 2);
  assert.deepEqual(rec.preprocess.size, [16, 16]);
  assert.deepEqual(rec.preprocess.intensity.windows, ["brain", "subdural", "bone"]);
  const pre = JSON.parse(readFileSync(join(full, "preprocessor_config.json"), "utf8"));
  assert.equal(pre.do_normalize, false);
  const w = await weights(full);
  assert.ok(w.has("encoder.layer.0.attention.attention.query.weight"));

  const split = join(tempDir(t), "split");
  const first = await pretrain({ ...tiny, manifest, out: split, stopAfter: 1 });
  assert.equal(first.epochs.length, 1);
  assert.equal(existsSync(join(split, "config.json")), false);
  assert.ok(existsSync(join(split, ".pretrain-checkpoint", "state.json")));
  const second = await pretrain({ ...tiny, manifest, out: split, resume: true });
  assert.deepEqual(
    second.epochs.map((e) => e.loss),
    r.epochs.map((e) => e.loss),
  );
  const w2 = await weights(split);
  for (const [k, v] of w) assert.deepEqual(w2.get(k), v, k);
});

test("pretrain: resume without a checkpoint and a batch larger than the data are input errors", async (t) => {
  await assert.rejects(
    pretrain({ ...tiny, manifest, out: join(tempDir(t), "none"), resume: true }),
    (e: unknown) => e instanceof InputError && /nothing to resume/.test(e.message),
  );
  await assert.rejects(
    pretrain({ ...tiny, manifest, out: join(tempDir(t), "big"), batch: 64 }),
    (e: unknown) => e instanceof InputError && /12 slices make no batch of 64/.test(e.message),
  );
});

test("pretrain --objective dense: learns the anatomy label maps (class count from the data) into a loadable folder", async (t) => {
  const out = join(tempDir(t), "dense");
  const r = await pretrain({ ...tiny, manifest, out, objective: "dense", epochs: 4, lr: 1e-2 });
  assert.equal(r.slices, 12);
  assert.ok(r.epochs.at(-1)!.loss < 0.8 * r.epochs[0]!.loss, JSON.stringify(r.epochs.map((e) => e.loss)));
  const rec = JSON.parse(readFileSync(join(out, "pretraining.json"), "utf8"));
  assert.equal(rec.method, "dense");
  assert.equal(rec.options.labels, "anatomy_mask");
  // The largest anatomy label in the three scans' maps, read independently, + 1.
  let top = 0;
  for (const f of readdirSync(join(dir, "set", "masks")).filter((x) => x.endsWith("_anatomy.nii.gz")))
    for (const v of (await readNifti(join(dir, "set", "masks", f))).real()) top = Math.max(top, v);
  assert.equal(rec.classes, top + 1);
  const w = await weights(out);
  assert.ok(w.has("encoder.layer.0.attention.attention.query.weight"));
  assert.ok(![...w.keys()].some((k) => k.startsWith("decoder")));
  // A dense run stopped after one epoch cannot be resumed as MAE (its weights differ).
  const stopped = join(tempDir(t), "stopped");
  await pretrain({ ...tiny, manifest, out: stopped, objective: "dense", epochs: 2, stopAfter: 1 });
  await assert.rejects(
    pretrain({ ...tiny, manifest, out: stopped, resume: true }),
    (e: unknown) => e instanceof InputError && /checkpoint is of a dense run/.test(e.message),
  );
  await assert.rejects(
    pretrain({ ...tiny, manifest, out: join(tempDir(t), "none"), objective: "dense", labels: "tumour_mask" }),
    (e: unknown) => e instanceof InputError && /has no 'tumour_mask' label map/.test(e.message),
  );
});
