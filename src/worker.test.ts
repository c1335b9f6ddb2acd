import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { repoRoot, tempDir } from "../test/paths.js";

// A program run as `node --input-type=module -e …` passes that flag to its threads; a worker
// started from a file with it used to fail. The phantom generator's pool goes through startWorker.
test("thread pools start under node --input-type=module -e", (t) => {
  const dir = tempDir(t);
  const index = pathToFileURL(join(repoRoot, "dist", "src", "index.js")).href;
  const code = `import { generateHeadCtSet } from ${JSON.stringify(index)};
await generateHeadCtSet(${JSON.stringify(dir)}, { n: 2, workers: 2, shape: [32, 32, 8] });`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readdirSync(join(dir, "images")).filter((f) => f.endsWith(".nii.gz")).length, 2);
});
