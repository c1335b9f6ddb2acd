import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { generateHeadCtSet, InputError, readManifest, readScan, volumeStats } from "../../../src/index.js";
import type { Command } from "../command.js";
import { terminalProgress } from "../progress.js";

// Interim main job (until the AnyMC3D/MoLRE training demo of issue 6 lands): make the embedded
// head CT phantom set, read it back through the same readers real data uses, and describe it.
const USAGE = `usage: medadapt demo [--out DIR] [--n N] [--seed S] [--json]

Generates the embedded head CT phantom dataset (NIfTI scans in HU, hemorrhage and anatomy masks,
75 finding labels, reports, train/val/test splits), reads it back with the manifest and NIfTI
readers, and prints what it holds: cases per split, the commonest findings, and the first scan's
geometry and HU statistics.

options:
  --out DIR   output folder (default: medadapt-demo)
  --n N       number of scans (default 24)
  --seed S    seed (default 0); the same seed gives the same files
  --json      the last stdout line is one JSON object:
              {out, manifest, cases, splits, findings: {NAME: positives}, first_scan: {...}, seconds}

medadapt is research software, not a medical device.
`;

export const demo: Command = {
  name: "demo",
  summary: "generate the embedded head CT phantom set and describe it (the quick-start job)",
  usage: USAGE,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        out: { type: "string", default: "medadapt-demo" },
        n: { type: "string", default: "24" },
        seed: { type: "string", default: "0" },
        json: { type: "boolean", default: false },
      },
    });
    const n = Number(values.n);
    const seed = Number(values.seed);
    if (!Number.isInteger(n) || n < 1 || n > 10000)
      throw new InputError(`--n must be 1..10000, got '${values.n}'`);
    if (!Number.isInteger(seed)) throw new InputError(`--seed must be an integer, got '${values.seed}'`);
    const t0 = performance.now();
    const onProgress = terminalProgress("generating phantom scans");
    const set = await generateHeadCtSet(values.out, {
      n,
      seed,
      preview: true,
      ...(onProgress ? { onProgress } : {}),
    });
    const manifest = await readManifest(set.manifest);
    const first = manifest.cases[0]!;
    const [vol] = await readScan(first.images[0]!);
    const stats = volumeStats(vol!);
    const findings = Object.fromEntries(
      Object.entries(set.counts)
        .filter(([, c]) => c > 0)
        .sort((a, b) => b[1] - a[1]),
    );
    const result = {
      out: values.out,
      manifest: set.manifest,
      cases: manifest.cases.length,
      splits: set.splits,
      findings,
      first_scan: {
        id: first.id,
        path: first.images[0],
        shape: [...vol!.shape],
        spacing: vol!.spacing,
        orientation: vol!.orientation,
        hu: stats,
      },
      seconds: (performance.now() - t0) / 1000,
    };
    const top = Object.entries(findings).slice(0, 8);
    const lines = [
      `medadapt demo: ${result.cases} head CT phantom scans in ${relative(process.cwd(), values.out) || "."} (${result.seconds.toFixed(1)} s)`,
      `  manifest     ${set.manifest}`,
      `  splits       ${Object.entries(set.splits)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}`,
      `  findings     ${Object.keys(findings).length} of 75 present; commonest: ${top.map(([k, v]) => `${k} ${v}`).join(", ")}`,
      `  first scan   ${first.id}: ${vol!.shape.join("×")} voxels, ${vol!.spacing.map((s) => s.toFixed(2)).join("×")} mm, ${vol!.orientation}, HU ${stats.min}..${stats.max} (mean ${stats.mean.toFixed(1)})`,
      `  previews     ${join(values.out, "previews")}/ (PNG montages with masks outlined)`,
      "Next: medadapt info <scan>, medadapt dataset <manifest>, medadapt eval --predictions P.csv --labels <manifest>.",
      "medadapt is research software, not a medical device.",
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  },
};
