import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (tests run from dist/, so resolve from this compiled file's place). */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** Path of a committed fixture under test/fixtures/. */
export function fixture(...parts: string[]): string {
  return join(repoRoot, "test", "fixtures", ...parts);
}

/** A fresh temporary folder, removed when `t` (a node:test context) ends. */
export function tempDir(t: { after(fn: () => void): void }, prefix = "medadapt-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
