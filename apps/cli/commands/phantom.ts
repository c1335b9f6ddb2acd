import { readFile, stat } from "node:fs/promises";
import { parseArgs } from "node:util";
import {
  type Difficulty,
  FINDINGS,
  generateHeadCtSet,
  InputError,
  isFindingName,
  finding as lookupFinding,
} from "../../../src/index.js";
import type { Command } from "../command.js";

const USAGE = `usage: medadapt phantom headct --n N --out DIR [options]

Generates synthetic head CT scans in Hounsfield units with known truth: 75 finding labels
(hierarchy-consistent; findings the phantom cannot draw are always 0), a hemorrhage-subtype mask
(0 background, 1 EDH, 2 SDH, 3 SAH, 4 IPH, 5 IVH), an anatomy parcellation and a report per scan.
Writes DIR/manifest.csv, DIR/taxonomy.csv, DIR/images/*.nii.gz (int16 HU), DIR/masks/*.nii.gz
(uint8), DIR/reports/*.txt and, with --preview, DIR/previews/*.png. Output is identical for any
number of workers.

options:
  --n N                 number of scans (required)
  --out DIR             output folder (required; created if missing)
  --seed S              integer seed (default 0)
  --shape XxYxZ         grid (default 128x128x32)
  --spacing X,Y,Z       voxel size in mm (default 240/X, 240/Y, 160/Z)
  --difficulty LEVEL    easy | default | hard (lesion size, contrast, noise, pose)
  --prevalence FILE     JSON object {finding_name: probability} overriding primary prevalences
  --findings LIST       render exactly these findings (comma-separated names) in every scan, with
                        no random findings or co-occurrence (controlled experiments, previews)
  --workers N           worker threads (default: all cores)
  --preview             also write a PNG montage per scan with the masks outlined
  --json                print the summary as JSON
`;

function parseShape(s: string): [number, number, number] {
  const parts = s
    .toLowerCase()
    .split("x")
    .map((x) => Number(x));
  if (parts.length !== 3 || !parts.every((x) => Number.isInteger(x) && x >= 8 && x <= 2048))
    throw new InputError(`--shape must be XxYxZ with integers 8..2048, got '${s}'`);
  return parts as [number, number, number];
}

function parseSpacing(s: string): [number, number, number] {
  const parts = s.split(",").map((x) => Number(x.trim()));
  if (parts.length !== 3 || !parts.every((x) => Number.isFinite(x) && x > 0 && x < 50))
    throw new InputError(`--spacing must be three positive numbers X,Y,Z (mm), got '${s}'`);
  return parts as [number, number, number];
}

function parseInteger(name: string, s: string, min: number): number {
  const v = Number(s);
  if (!Number.isSafeInteger(v) || v < min)
    throw new InputError(`--${name} must be an integer >= ${min}, got '${s}'`);
  return v;
}

function parseFindings(list: string): string[] {
  const names = list
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const name of names) {
    if (!isFindingName(name)) throw new InputError(`--findings: unknown finding '${name}'`);
    if (!lookupFinding(name).renderable)
      throw new InputError(`--findings: ${name} cannot be rendered by the head CT phantom`);
  }
  return names;
}

async function readPrevalence(path: string): Promise<Record<string, number>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new InputError(
      `cannot read prevalence file (${(err as NodeJS.ErrnoException).code ?? "error"})`,
      path,
    );
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    throw new InputError("prevalence file is not valid JSON", path);
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj))
    throw new InputError('prevalence file must hold a JSON object {"finding_name": probability}', path);
  const out: Record<string, number> = {};
  for (const [name, p] of Object.entries(obj)) {
    if (!isFindingName(name)) throw new InputError(`unknown finding '${name}'`, path);
    if (typeof p !== "number" || !(p >= 0 && p <= 1))
      throw new InputError(`${name}: probability must be in [0, 1]`, path);
    if (p > 0 && !lookupFinding(name).renderable)
      throw new InputError(`${name} cannot be rendered by the head CT phantom (it is always 0)`, path);
    out[name] = p;
  }
  return out;
}

export const phantom: Command = {
  name: "phantom",
  summary: "generate synthetic scans with truth (head CT: images, masks, labels, reports)",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        n: { type: "string" },
        out: { type: "string" },
        seed: { type: "string" },
        shape: { type: "string" },
        spacing: { type: "string" },
        difficulty: { type: "string" },
        prevalence: { type: "string" },
        findings: { type: "string" },
        workers: { type: "string" },
        preview: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
      },
      allowPositionals: true,
    });
    if (positionals.length !== 1 || positionals[0] !== "headct")
      throw new InputError(`expected the phantom kind 'headct', got '${positionals.join(" ")}'`);
    if (values.n === undefined) throw new InputError("--n is required");
    if (values.out === undefined) throw new InputError("--out is required");
    const n = parseInteger("n", values.n, 1);
    const existing = await stat(values.out).catch(() => null);
    if (existing && !existing.isDirectory())
      throw new InputError("--out exists and is not a folder", values.out);
    const difficulty = (values.difficulty ?? "default") as Difficulty;
    if (!["easy", "default", "hard"].includes(difficulty))
      throw new InputError(`--difficulty must be easy, default or hard, got '${values.difficulty}'`);
    const shape = values.shape === undefined ? undefined : parseShape(values.shape);
    const opts = {
      n,
      seed: values.seed === undefined ? 0 : parseInteger("seed", values.seed, 0),
      difficulty,
      preview: values.preview,
      ...(shape ? { shape } : {}),
      ...(values.spacing === undefined ? {} : { spacing: parseSpacing(values.spacing) }),
      ...(values.prevalence === undefined ? {} : { prevalence: await readPrevalence(values.prevalence) }),
      ...(values.findings === undefined ? {} : { findings: parseFindings(values.findings) }),
      ...(values.workers === undefined ? {} : { workers: parseInteger("workers", values.workers, 1) }),
      onProgress: (done: number, total: number) => {
        if (total >= 8 && (done === total || done % Math.max(1, Math.floor(total / 20)) === 0))
          process.stderr.write(`phantom headct: ${done}/${total} scans\n`);
      },
    };
    const s = await generateHeadCtSet(values.out, opts);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(s)}\n`);
      return 0;
    }
    const positives = FINDINGS.filter((f) => s.counts[f.name]! > 0)
      .sort((a, b) => s.counts[b.name]! - s.counts[a.name]!)
      .map((f) => `${f.name} ${s.counts[f.name]}`);
    process.stdout.write(
      `wrote ${s.n} head CT phantoms to ${s.dir} (${s.shape.join("x")} at ${s.spacing.map((v) => v.toFixed(2)).join(",")} mm) ` +
        `in ${s.seconds.toFixed(1)} s with ${s.workers} worker(s)\n` +
        `manifest: ${s.manifest}\nsplits: train ${s.splits.train}, val ${s.splits.val}, test ${s.splits.test}\n` +
        `positives: ${positives.join(", ") || "none"}\n`,
    );
    return 0;
  },
};
