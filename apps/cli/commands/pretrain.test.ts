import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { generateHeadCtSet, nn } from "../../../src/index.js";
import { assertInputError, runCli } from "../../../test/cli.js";
import { tempDir } from "../../../test/paths.js";

let dir = "";
let manifest = "";
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "medadapt-pretrain-cli-"));
  manifest = (await generateHeadCtSet(join(dir, "set"), { n: 2, seed: 3, shape: [32, 32, 4], workers: 1 }))
    .manifest;
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test("pretrain --json: one epoch of the demo architecture → a backbone folder loadBackbone reads", async (t) => {
  const out = join(tempDir(t), "vit");
  const r = runCli(
    "pretrain",
    "--manifest",
    manifest,
    "--out",
    out,
    "--epochs",
    "1",
    "--batch",
    "4",
    "--raw-pixels",
    "--mask-ratio",
    "0.5",
    "--json",
  );
  assert.equal(r.code, 0, r.stderr);
  const last = JSON.parse(r.stdout.trim().split("\n").at(-1) as string);
  assert.equal(last.scans, 2);
  assert.equal(last.slices, 8);
  assert.equal(last.steps, 2);
  assert.ok(Number.isFinite(last.final_loss));
  const rec = JSON.parse(readFileSync(join(out, "pretraining.json"), "utf8"));
  assert.equal(rec.options.mae.normPix, false);
  assert.equal(rec.options.mae.maskRatio, 0.5);
  const b = await nn.loadBackbone(out);
  assert.equal(b.model.hiddenSize, 96);
  assert.equal(b.imageSize, 64);
});

test("pretrain: bad input is one line, exit 2", () => {
  assertInputError(runCli("pretrain", "--out", "/tmp/x"), "--manifest");
  assertInputError(
    runCli("pretrain", "--manifest", manifest, "--out", "/tmp/x", "--mask-ratio", "1.5"),
    "--mask-ratio",
  );
  assertInputError(
    runCli("pretrain", "--manifest", manifest, "--out", "/tmp/x", "--epochs", "0"),
    "--epochs",
  );
  assertInputError(
    runCli("pretrain", "--manifest", manifest, "--out", "/tmp/x", "--objective", "simclr"),
    "--objective",
  );
  assertInputError(
    runCli(
      "pretrain",
      "--manifest",
      manifest,
      "--out",
      "/tmp/x",
      "--objective",
      "dense",
      "--labels",
      "tumour_mask",
    ),
    "no 'tumour_mask' label map",
  );
  assertInputError(
    runCli("pretrain", "--manifest", "/nonexistent/m.csv", "--out", "/tmp/x"),
    "/nonexistent/m.csv",
  );
});
