import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { repoRoot, tempDir } from "../test/paths.js";
import { startWorker, stopWorker } from "./worker.js";

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

/** A thread body in a temporary module, importing this build's serveMessages. */
function threadFile(dir: string, body: string): URL {
  const file = join(dir, `thread-${Math.random().toString(36).slice(2)}.mjs`);
  const worker = pathToFileURL(join(repoRoot, "dist", "src", "worker.js")).href;
  writeFileSync(
    file,
    `import { parentPort } from "node:worker_threads";\nimport { serveMessages } from ${JSON.stringify(worker)};\n${body}\n`,
  );
  return pathToFileURL(file);
}

test("stopWorker lets the running task finish, then the thread ends on its own (exit code 0)", async (t) => {
  const file = threadFile(
    tempDir(t),
    `serveMessages((ms) => { const end = Date.now() + ms; while (Date.now() < end); parentPort.postMessage("done " + ms); });`,
  );
  const w = startWorker(file);
  const got: string[] = [];
  w.on("message", (m: string) => got.push(m));
  const exited = new Promise<number>((res) => w.once("exit", res));
  w.postMessage(150);
  await new Promise((res) => setTimeout(res, 50)); // the task is running now
  await stopWorker(w);
  assert.deepEqual(got, ["done 150"]);
  assert.equal(await exited, 0); // terminate() would give 1
  await stopWorker(w); // stopping an ended thread is a no-op
});

test("stopWorker terminates a thread that does not finish within the timeout", async (t) => {
  const file = threadFile(tempDir(t), `serveMessages(() => { for (;;); });`);
  const w = startWorker(file);
  const exited = new Promise<number>((res) => w.once("exit", res));
  w.postMessage(0);
  const t0 = Date.now();
  await stopWorker(w, 300);
  assert.equal(await exited, 1);
  assert.ok(Date.now() - t0 >= 250);
});
