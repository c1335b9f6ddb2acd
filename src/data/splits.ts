/**
 * Patient-level train/val/test splits: the manifest's own split column when it has one, else a
 * deterministic multi-label stratified split of patients (iterative stratification, Sechidis,
 * Tsoumakas and Vlahavas 2011, applied to patients rather than single cases).
 */
import { createHash } from "node:crypto";
import { InputError } from "../errors.js";
import { Rng } from "../random/rng.js";
import type { DataCase, DataManifest, SplitName } from "./manifest.js";
import { SPLIT_NAMES } from "./manifest.js";

export interface SplitFractions {
  train: number;
  val: number;
  test: number;
}

export interface SplitOptions {
  /** Default { train: 0.7, val: 0.15, test: 0.15 }. */
  fractions?: SplitFractions;
  /** Default 0. */
  seed?: number;
  /** Ignore the manifest's split column and draw a new split. */
  force?: boolean;
}

export const DEFAULT_FRACTIONS: SplitFractions = { train: 0.7, val: 0.15, test: 0.15 };

/** A 32-bit key from a string (case or patient id), stable across platforms. */
export function stringKey(s: string): number {
  return createHash("sha256").update(s).digest().readUInt32LE(0);
}

/**
 * The split of every case, by id. Uses the manifest's split column when every case has one (and
 * checks that no patient spans two splits — that would leak); otherwise `stratifiedSplit`.
 */
export function resolveSplits(manifest: DataManifest, opts: SplitOptions = {}): Map<string, SplitName> {
  const given = manifest.cases.filter((c) => c.split !== undefined);
  if (!opts.force && given.length > 0) {
    const missing = manifest.cases.find((c) => c.split === undefined);
    if (missing)
      throw new InputError(
        `line ${missing.line}: case '${missing.id}' has no split while other cases do (fill the column, or leave it empty everywhere to split automatically)`,
        manifest.path,
      );
    const byPatient = new Map<string, DataCase>();
    for (const c of manifest.cases) {
      const first = byPatient.get(c.patient);
      if (first && first.split !== c.split)
        throw new InputError(
          `line ${c.line}: patient '${c.patient}' is in split '${c.split}' here and '${first.split}' on line ${first.line} (a patient's cases must share a split)`,
          manifest.path,
        );
      if (!first) byPatient.set(c.patient, c);
    }
    return new Map(manifest.cases.map((c) => [c.id, c.split!]));
  }
  return stratifiedSplit(manifest.cases, opts);
}

/**
 * Iterative stratification over patients. Each split wants `fraction × total` cases and, per
 * finding, `fraction × positives` positive cases. Patients are grouped (their positive counts
 * summed over their cases, missing labels ignored) and visited rarest finding first: for the
 * finding with the fewest positives still unassigned, each patient carrying it (in a seeded
 * random order) goes to the split that still wants the most positives of that finding — ties
 * broken by the most cases still wanted, then at random — and that split's wants shrink by the
 * patient's counts. Patients without any positive label go last, each to the split wanting the
 * most cases. The result depends only on the cases (not their order) and the seed.
 */
export function stratifiedSplit(cases: readonly DataCase[], opts: SplitOptions = {}): Map<string, SplitName> {
  const fr = opts.fractions ?? DEFAULT_FRACTIONS;
  const fracs = SPLIT_NAMES.map((s) => fr[s]);
  if (
    !fracs.every((f) => Number.isFinite(f) && f >= 0) ||
    Math.abs(fracs.reduce((a, b) => a + b, 0) - 1) > 1e-6
  )
    throw new InputError(`split fractions ${JSON.stringify(fr)} must be ≥ 0 and sum to 1`);
  const nLabels = cases[0]?.labels.length ?? 0;
  interface Group {
    patient: string;
    cases: DataCase[];
    pos: Float64Array;
  }
  const groups = new Map<string, Group>();
  for (const c of cases) {
    let g = groups.get(c.patient);
    if (!g) {
      g = { patient: c.patient, cases: [], pos: new Float64Array(nLabels) };
      groups.set(c.patient, g);
    }
    g.cases.push(c);
    c.labels.forEach((y, j) => {
      if (y === 1) g.pos[j]! += 1;
    });
  }
  // Sorted, then shuffled from the seed: the order of manifest rows does not matter.
  const rng = new Rng(opts.seed ?? 0);
  const pool = [...groups.values()].sort((a, b) =>
    a.patient < b.patient ? -1 : a.patient > b.patient ? 1 : 0,
  );
  for (let i = pool.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  const wantCases = fracs.map((f) => f * cases.length);
  const totalPos = new Float64Array(nLabels);
  for (const g of pool) for (let j = 0; j < nLabels; j++) totalPos[j]! += g.pos[j]!;
  const wantPos = fracs.map((f) => Float64Array.from(totalPos, (t) => f * t));
  const remaining = Float64Array.from(totalPos);
  const out = new Map<string, SplitName>();
  const assign = (g: Group, s: number) => {
    for (const c of g.cases) out.set(c.id, SPLIT_NAMES[s]!);
    wantCases[s]! -= g.cases.length;
    for (let j = 0; j < nLabels; j++) {
      wantPos[s]![j]! -= g.pos[j]!;
      remaining[j]! -= g.pos[j]!;
    }
  };
  const choose = (score: (s: number) => number): number => {
    let best: number[] = [];
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let s = 0; s < fracs.length; s++) {
      if (fracs[s] === 0) continue;
      const v = score(s);
      if (v > bestScore + 1e-9) {
        bestScore = v;
        best = [s];
      } else if (Math.abs(v - bestScore) <= 1e-9) best.push(s);
    }
    if (best.length > 1) {
      // Tie on the label: the split wanting the most cases, then a seeded coin.
      const most = Math.max(...best.map((s) => wantCases[s]!));
      best = best.filter((s) => wantCases[s]! >= most - 1e-9);
    }
    return best.length === 1 ? best[0]! : best[rng.int(0, best.length - 1)]!;
  };
  let left = pool;
  for (;;) {
    let label = -1;
    for (let j = 0; j < nLabels; j++)
      if (remaining[j]! > 0 && (label < 0 || remaining[j]! < remaining[label]!)) label = j;
    if (label < 0) break;
    const carriers = left.filter((g) => g.pos[label]! > 0);
    left = left.filter((g) => g.pos[label]! === 0);
    for (const g of carriers)
      assign(
        g,
        choose((s) => wantPos[s]![label]!),
      );
  }
  for (const g of left)
    assign(
      g,
      choose((s) => wantCases[s]!),
    );
  return out;
}

/** The cases of one split, in manifest order. */
export function casesIn(
  cases: readonly DataCase[],
  splits: Map<string, SplitName>,
  split: SplitName,
): DataCase[] {
  return cases.filter((c) => splits.get(c.id) === split);
}
