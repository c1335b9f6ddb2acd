import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { repoRoot, tempDir } from "../../test/paths.js";

const CHILD = join(repoRoot, "dist", "test", "train", "kill-child.js");

/** Runs the child to its end, or SIGKILLs it once it prints `killAt`. Resolves with its stdout. */
function runChild(args: string[], killAt?: string): Promise<{ out: string; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
      if (killAt && out.includes(killAt)) child.kill("SIGKILL");
    });
    child.stderr.on("data", (b: Buffer) => {
      err += b.toString();
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (signal === null && code !== 0) reject(new Error(`child exited ${code}: ${err}`));
      else resolve({ out, signal });
    });
  });
}

it("a run SIGKILLed mid-epoch and resumed in a new process ends bit-identical to an uninterrupted one", async (t) => {
  const root = tempDir(t);
  const straight = await runChild([join(root, "straight")]);
  assert.match(straight.out, /done completed 4/);

  const killed = await runChild([join(root, "killed"), "--slow"], "batch 2 5\n");
  assert.equal(killed.signal, "SIGKILL");
  assert.ok(!killed.out.includes("done"));
  const resumed = await runChild([join(root, "killed"), "--resume"]);
  assert.match(resumed.out, /done completed 4/);
  // The child checkpoints every 3 of its 12 steps per epoch as well: the kill, wherever it fell,
  // left a checkpoint in epoch 3 (0-based 2) or at its end; the resumed process replays that
  // epoch's order from its first batch (skipping the trained ones).
  assert.match(resumed.out, /^batch [23] 0\n/);
  assert.match(readFileSync(join(root, "killed", "log.txt"), "utf8"), /resumed from .* after epoch [23]/);

  for (const ck of ["last", "best"]) {
    const a = readFileSync(join(root, "straight", "checkpoints", ck, "params.safetensors"));
    const b = readFileSync(join(root, "killed", "checkpoints", ck, "params.safetensors"));
    assert.ok(a.equals(b), `${ck} weights differ`);
  }
  const metrics = (dir: string) =>
    readFileSync(join(root, dir, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => {
        const { seconds, ...rest } = JSON.parse(l);
        return rest;
      });
  assert.deepEqual(metrics("killed"), metrics("straight"));
});
