import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { repoRoot } from "./paths.js";

/** What one run of the CLI left: exit code, stdout, stderr. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const ENTRY = fileURLToPath(new URL("./cli-entry.js", import.meta.url));

/** Runs `medadapt ...args` in a child process, from the repository root. */
export function runCli(...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [ENTRY, ...args], {
    encoding: "utf8",
    cwd: repoRoot,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * An input error as the CLI must report it: exit code 2 and exactly one line on stderr that names
 * `file` (or the argument at fault) and, when given, matches `pattern`.
 */
export function assertInputError(r: CliResult, file: string, pattern?: RegExp): void {
  assert.equal(r.code, 2, `exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, `one stderr line, got: ${r.stderr}`);
  assert.ok(lines[0]!.includes(file), `names ${file}: ${lines[0]}`);
  if (pattern) assert.match(lines[0]!, pattern);
}
