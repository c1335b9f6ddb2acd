import { stat } from "node:fs/promises";
import { parseArgs } from "node:util";
import {
  type DataManifest,
  InputError,
  readManifest,
  resolveSplits,
  SPLIT_NAMES,
  type SplitFractions,
  type SplitName,
} from "../../../src/index.js";
import type { Command } from "../command.js";

const USAGE = `usage: medadapt dataset MANIFEST [--labels A,B] [--seed S] [--fractions T,V,E] [--resplit] [--json]

Reads a dataset manifest (CSV or JSONL: id, image path(s), finding label columns, optional masks,
report, split, patient id; see docs/data.md), checks that every image and mask exists, and reports
cases, patients and per-finding positives by split. Without a split column (or with --resplit) the
split is the deterministic patient-level stratified one training would use.

options:
  --labels A,B       label columns to use (default: every 0/1/missing column)
  --seed S           seed of the stratified split (default 0)
  --fractions T,V,E  train, val and test fractions (default 0.7,0.15,0.15)
  --resplit          ignore the manifest's split column
  --json             one JSON object: {manifest, cases, patients, split_source, splits: {NAME:
                     {cases, patients}}, findings: {NAME: {SPLIT: {positives, labelled}}},
                     missing_files: [{id, path}]}
`;

interface Counts {
  positives: number;
  labelled: number;
}

async function missingFiles(m: DataManifest): Promise<{ id: string; path: string }[]> {
  const out: { id: string; path: string }[] = [];
  for (const c of m.cases)
    for (const p of [...c.images, ...Object.values(c.masks)]) {
      try {
        await stat(p);
      } catch {
        out.push({ id: c.id, path: p });
      }
    }
  return out;
}

export const dataset: Command = {
  name: "dataset",
  summary: "check a dataset manifest and summarise its splits and labels",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        labels: { type: "string" },
        seed: { type: "string", default: "0" },
        fractions: { type: "string", default: "0.7,0.15,0.15" },
        resplit: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
      },
    });
    if (positionals.length !== 1) throw new InputError("expected one MANIFEST (see medadapt dataset --help)");
    const seed = Number(values.seed);
    if (!Number.isInteger(seed)) throw new InputError(`--seed must be an integer, got '${values.seed}'`);
    const fr = values.fractions.split(",").map(Number);
    if (fr.length !== 3 || fr.some((f) => !Number.isFinite(f)))
      throw new InputError(`--fractions needs three numbers, got '${values.fractions}'`);
    const fractions: SplitFractions = { train: fr[0]!, val: fr[1]!, test: fr[2]! };
    const labels = values.labels?.split(",").map((s) => s.trim());
    const m = await readManifest(positionals[0]!, labels ? { labels } : {});
    const splits = resolveSplits(m, { seed, fractions, force: values.resplit });
    const source = m.hasSplits && !values.resplit ? "manifest" : "stratified";
    const patients = new Set(m.cases.map((c) => c.patient));
    const bySplit = Object.fromEntries(
      SPLIT_NAMES.map((s) => {
        const cs = m.cases.filter((c) => splits.get(c.id) === s);
        return [s, { cases: cs.length, patients: new Set(cs.map((c) => c.patient)).size }];
      }),
    ) as Record<SplitName, { cases: number; patients: number }>;
    const findings: Record<string, Record<SplitName, Counts>> = {};
    m.findings.forEach((f, j) => {
      const row = Object.fromEntries(SPLIT_NAMES.map((s) => [s, { positives: 0, labelled: 0 }])) as Record<
        SplitName,
        Counts
      >;
      for (const c of m.cases) {
        const y = c.labels[j]!;
        if (Number.isNaN(y)) continue;
        const cell = row[splits.get(c.id)!];
        cell.labelled++;
        cell.positives += y;
      }
      findings[f] = row;
    });
    const missing = await missingFiles(m);
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({
          manifest: m.path,
          cases: m.cases.length,
          patients: patients.size,
          split_source: source,
          splits: bySplit,
          findings,
          missing_files: missing,
        })}\n`,
      );
    } else {
      const out: string[] = [];
      out.push(
        `${m.path}: ${m.cases.length} cases, ${patients.size} patients, ${m.findings.length} findings`,
      );
      out.push(
        `splits (${source === "manifest" ? "from the manifest" : `stratified by patient, seed ${seed}`}): ${SPLIT_NAMES.map((s) => `${s} ${bySplit[s].cases} (${bySplit[s].patients} patients)`).join(", ")}`,
      );
      const w = Math.max(7, ...m.findings.map((f) => f.length));
      out.push(
        `${"finding".padEnd(w)}  ${SPLIT_NAMES.map((s) => `${s} pos/labelled`.padStart(20)).join("")}`,
      );
      for (const f of m.findings)
        out.push(
          `${f.padEnd(w)}  ${SPLIT_NAMES.map((s) => `${findings[f]![s].positives}/${findings[f]![s].labelled}`.padStart(20)).join("")}`,
        );
      if (missing.length > 0) {
        out.push(`${missing.length} missing file(s), e.g.:`);
        for (const x of missing.slice(0, 5)) out.push(`  case ${x.id}: ${x.path}`);
      }
      process.stdout.write(`${out.join("\n")}\n`);
    }
    return missing.length > 0 ? 1 : 0;
  },
};
