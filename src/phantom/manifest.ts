/**
 * Phantom dataset manifests (CSV): id, image, hemorrhage_mask, anatomy_mask, report, split, then
 * one 0/1 column per finding in taxonomy order. Paths are relative to the manifest's folder.
 */
import { parse } from "csv-parse/sync";
import { InputError } from "../errors.js";
import { FINDING_NAMES } from "./taxonomy.js";

export const MANIFEST_COLUMNS = [
  "id",
  "image",
  "hemorrhage_mask",
  "anatomy_mask",
  "report",
  "split",
] as const;

export type Split = "train" | "val" | "test";

export interface ManifestRow {
  id: string;
  image: string;
  hemorrhage_mask: string;
  anatomy_mask: string;
  report: string;
  split: Split;
  /** 0/1 per finding, indexed like FINDINGS. */
  labels: Uint8Array;
}

/** One CSV field, quoted when it holds a comma, quote, line break or outer space (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function formatManifest(rows: readonly ManifestRow[]): string {
  const header = [...MANIFEST_COLUMNS, ...FINDING_NAMES].join(",");
  const lines = rows.map((r) =>
    [...MANIFEST_COLUMNS.map((c) => csvField(r[c])), ...Array.from(r.labels, (v) => (v ? "1" : "0"))].join(
      ",",
    ),
  );
  return `${[header, ...lines].join("\n")}\n`;
}

/** Parses a phantom manifest; throws InputError naming `source` on any malformed content. */
export function parseManifest(text: string, source = "manifest.csv"): ManifestRow[] {
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: false, skip_empty_lines: true }) as string[][];
  } catch (err) {
    throw new InputError(`not valid CSV (${(err as Error).message})`, source);
  }
  const [header, ...body] = records;
  if (!header) throw new InputError("empty manifest", source);
  const expected = [...MANIFEST_COLUMNS, ...FINDING_NAMES];
  const missing = expected.filter((c) => !header.includes(c));
  if (missing.length > 0) throw new InputError(`missing column(s) ${missing.slice(0, 5).join(", ")}`, source);
  const col = new Map(header.map((h, i) => [h, i]));
  return body.map((rec, r) => {
    const get = (name: string) => rec[col.get(name)!]!;
    const split = get("split");
    if (split !== "train" && split !== "val" && split !== "test")
      throw new InputError(`row ${r + 2}: split must be train, val or test, got '${split}'`, source);
    const labels = new Uint8Array(FINDING_NAMES.length);
    FINDING_NAMES.forEach((name, i) => {
      const v = get(name);
      if (v !== "0" && v !== "1")
        throw new InputError(`row ${r + 2}: column ${name} must be 0 or 1, got '${v}'`, source);
      labels[i] = v === "1" ? 1 : 0;
    });
    return {
      id: get("id"),
      image: get("image"),
      hemorrhage_mask: get("hemorrhage_mask"),
      anatomy_mask: get("anatomy_mask"),
      report: get("report"),
      split,
      labels,
    };
  });
}
