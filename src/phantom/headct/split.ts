/**
 * Deterministic, stratified train/val/test assignment: cases are grouped by their leading
 * finding group, ordered within a group by a hash of (seed, index), and dealt 14:3:3 in turn, so
 * every group is spread over the three splits in about 70/15/15 proportions.
 */

import { mixKey } from "../../random/rng.js";
import type { Split } from "../manifest.js";
import { finding } from "../taxonomy.js";

export function stratum(findings: readonly string[]): string {
  if (findings.includes("any_intracranial_hemorrhage")) return "hemorrhage";
  if (findings.includes("mass_lesion_any")) return "mass";
  const first = findings[0];
  return first ? finding(first).category : "normal";
}

const DEAL: Split[] = [
  ...Array<Split>(14).fill("train"),
  ...Array<Split>(3).fill("val"),
  ...Array<Split>(3).fill("test"),
];
/** Interleaved so that small groups still reach val and test early. */
const ORDER = [0, 14, 17, 1, 2, 3, 15, 4, 5, 18, 6, 7, 16, 8, 9, 19, 10, 11, 12, 13].map((i) => DEAL[i]!);

export function assignSplits(
  seed: number,
  cases: readonly { index: number; findings: readonly string[] }[],
): Split[] {
  const groups = new Map<string, { pos: number; key: number }[]>();
  cases.forEach((c, pos) => {
    const s = stratum(c.findings);
    if (!groups.has(s)) groups.set(s, []);
    groups.get(s)!.push({ pos, key: mixKey(seed, c.index, 0x5b17) });
  });
  const out = new Array<Split>(cases.length);
  for (const members of groups.values()) {
    members.sort((a, b) => a.key - b.key || a.pos - b.pos);
    members.forEach((m, rank) => {
      out[m.pos] = ORDER[rank % ORDER.length]!;
    });
  }
  return out;
}
