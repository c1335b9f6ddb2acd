/**
 * Dataset manifests (DESIGN.md, "Data and file conventions"): one case per CSV row or JSONL
 * line — an id, one image path per contrast or phase, 0/1 label columns named by finding,
 * optional mask paths, report text, split and patient id. Paths are relative to the manifest.
 */

import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { maskName } from "../config/columns.js";
import { InputError } from "../errors.js";
import { parseCsvTable } from "../eval/case-files.js";

export type SplitName = "train" | "val" | "test";
export const SPLIT_NAMES: readonly SplitName[] = ["train", "val", "test"];

/** One case of a manifest, with paths made absolute and labels as numbers (NaN: not labelled). */
export interface DataCase {
  id: string;
  /** Absolute image paths, one per contrast or phase, in column order. */
  images: string[];
  /** Contrast/phase name of each image: "image" for a plain `image` column, else the suffix of `image_<name>`. */
  contrasts: string[];
  /** Absolute mask paths by name (`hemorrhage_mask` → "hemorrhage"). */
  masks: Record<string, string>;
  /** One value per `DataManifest.findings`: 0, 1, or NaN when not labelled. */
  labels: Float32Array;
  split?: SplitName;
  /** Cases of one patient stay in one split; defaults to the case id. */
  patient: string;
  report?: string;
  /** Line of the manifest the case ends on (1-based), for messages. */
  line: number;
}

export interface DataManifest {
  path: string;
  findings: string[];
  cases: DataCase[];
  /** True when every case carries a split from the manifest. */
  hasSplits: boolean;
}

export interface ManifestOptions {
  /** Label columns to use, in this order; default: every column whose values are all 0/1/missing. */
  labels?: readonly string[];
}

const PATIENT_COLUMNS = ["patient_id", "patient"];
/** Cell values read as "not labelled". */
const MISSING = new Set(["", "-1", "nan", "na", "null", "none"]);

/** Columns with a role other than "finding label". */
function isKnownColumn(c: string): boolean {
  return (
    c === "id" ||
    c === "report" ||
    c === "split" ||
    PATIENT_COLUMNS.includes(c) ||
    isImageColumn(c) ||
    maskName(c) !== undefined
  );
}

function isImageColumn(c: string): boolean {
  return c === "image" || /^image_.+/.test(c);
}

/** One record before typing: column → raw value (string, number, null, …), and where it came from. */
interface RawRecord {
  fields: Map<string, unknown>;
  line: number;
}

/**
 * Reads a CSV (RFC 4180 quoting) or JSONL manifest — by extension `.jsonl`/`.ndjson`, else CSV.
 * Every problem is an InputError naming the file, the line and the column.
 */
export async function readManifest(path: string, opts: ManifestOptions = {}): Promise<DataManifest> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new InputError(
      `cannot read manifest (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      path,
    );
  }
  return parseManifestText(text, path, opts);
}

/** `readManifest` on text already in memory; `path` names the file and anchors relative paths. */
export function parseManifestText(text: string, path: string, opts: ManifestOptions = {}): DataManifest {
  const jsonl = /\.(jsonl|ndjson)$/i.test(path);
  const { columns, records } = jsonl ? parseJsonl(text, path) : parseCsv(text, path);
  return buildManifest(columns, records, path, opts);
}

function parseCsv(text: string, path: string): { columns: string[]; records: RawRecord[] } {
  const table = parseCsvTable(text, path);
  const records = table.rows.map((row, r) => {
    const line = table.lines[r]!;
    if (row.length !== table.columns.length)
      throw new InputError(
        `line ${line}: ${row.length} fields where the header has ${table.columns.length}`,
        path,
      );
    return { fields: new Map(table.columns.map((c, i) => [c, row[i]!])), line };
  });
  return { columns: table.columns, records };
}

/**
 * JSONL: one object per line. Images as `image` (a path, a list of paths, or {contrast: path}) or
 * `image_<name>` keys; masks as `masks` ({name: path}) or `<name>_mask` keys; labels as a `labels`
 * object or top-level finding keys (0/1/null).
 */
function parseJsonl(text: string, path: string): { columns: string[]; records: RawRecord[] } {
  const columns: string[] = [];
  const seen = new Set<string>();
  const add = (c: string) => {
    if (!seen.has(c)) {
      seen.add(c);
      columns.push(c);
    }
  };
  const records: RawRecord[] = [];
  text.split(/\r\n|\n|\r/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === "") return;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (err) {
      throw new InputError(`line ${line}: not valid JSON (${(err as Error).message})`, path);
    }
    if (obj === null || typeof obj !== "object" || Array.isArray(obj))
      throw new InputError(`line ${line}: expected a JSON object`, path);
    const fields = new Map<string, unknown>();
    for (const [k, v] of Object.entries(obj)) {
      if (k === "image" && v !== null && typeof v === "object") {
        const entries = Array.isArray(v)
          ? v.map((p, j) => [j === 0 ? "image" : `image_${j}`, p] as const)
          : Object.entries(v).map(([n, p]) => [`image_${n}`, p] as const);
        for (const [c, p] of entries) fields.set(c, p);
      } else if (
        (k === "labels" || k === "masks") &&
        v !== null &&
        typeof v === "object" &&
        !Array.isArray(v)
      ) {
        for (const [n, x] of Object.entries(v)) fields.set(k === "masks" ? `${n}_mask` : n, x);
      } else fields.set(k, v);
    }
    for (const c of fields.keys()) add(c);
    records.push({ fields, line });
  });
  if (records.length === 0) throw new InputError("empty manifest (no cases)", path);
  return { columns, records };
}

/** A label cell: 0, 1, NaN (missing), or undefined when it is none of these. */
function labelValue(v: unknown): number | undefined {
  if (v === undefined || v === null) return Number.NaN;
  if (typeof v === "number")
    return v === 0 || v === 1 ? v : v === -1 || Number.isNaN(v) ? Number.NaN : undefined;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v !== "string") return undefined;
  const s = v.trim().toLowerCase();
  if (MISSING.has(s)) return Number.NaN;
  if (/^[+]?0*1(\.0*)?$/.test(s)) return 1;
  if (/^[+-]?0+(\.0*)?$/.test(s)) return 0;
  return undefined;
}

function text(v: unknown): string {
  if (v === undefined || v === null) return "";
  return typeof v === "string" ? v.trim() : String(v);
}

function buildManifest(
  columns: string[],
  records: RawRecord[],
  path: string,
  opts: ManifestOptions,
): DataManifest {
  if (!columns.includes("id")) throw new InputError("no 'id' column", path);
  const imageCols = columns.filter(isImageColumn);
  if (imageCols.length === 0) throw new InputError("no image column ('image' or 'image_<contrast>')", path);
  const maskCols = columns.filter((c) => maskName(c) !== undefined);
  const patientCol = PATIENT_COLUMNS.find((c) => columns.includes(c));
  let findings: string[];
  if (opts.labels) {
    findings = [...opts.labels];
    const absent = findings.filter((f) => !columns.includes(f));
    if (absent.length > 0)
      throw new InputError(`no label column ${absent.map((f) => `'${f}'`).join(", ")}`, path);
    const dup = findings.find((f, i) => findings.indexOf(f) !== i);
    if (dup !== undefined) throw new InputError(`label column '${dup}' is listed twice`, path);
  } else {
    // Inferred: every value 0, 1 or missing, and at least one value present (an all-empty
    // column says nothing about being a label).
    findings = columns.filter(
      (c) =>
        !isKnownColumn(c) &&
        records.every((r) => labelValue(r.fields.get(c)) !== undefined) &&
        records.some((r) => !Number.isNaN(labelValue(r.fields.get(c)) ?? Number.NaN)),
    );
  }
  const base = dirname(resolve(path));
  const where = (r: RawRecord, c: string) => `line ${r.line}, column '${c}'`;
  const toPath = (r: RawRecord, c: string, v: unknown): string => {
    if (typeof v !== "string")
      throw new InputError(`${where(r, c)}: expected a path, got ${JSON.stringify(v)}`, path);
    const p = v.trim();
    return isAbsolute(p) ? p : resolve(base, p);
  };
  const ids = new Map<string, number>();
  const cases = records.map((r): DataCase => {
    const id = text(r.fields.get("id"));
    if (id === "") throw new InputError(`${where(r, "id")}: empty id`, path);
    const before = ids.get(id);
    if (before !== undefined)
      throw new InputError(`${where(r, "id")}: id '${id}' already used on line ${before}`, path);
    ids.set(id, r.line);
    const images: string[] = [];
    const contrasts: string[] = [];
    for (const c of imageCols) {
      const v = r.fields.get(c);
      if (text(v) === "") continue;
      images.push(toPath(r, c, v));
      contrasts.push(c === "image" ? "image" : c.slice("image_".length));
    }
    if (images.length === 0)
      throw new InputError(`line ${r.line}: case '${id}' has no image path (${imageCols.join(", ")})`, path);
    const masks: Record<string, string> = {};
    for (const c of maskCols) {
      const v = r.fields.get(c);
      if (text(v) !== "") masks[maskName(c)!] = toPath(r, c, v);
    }
    const labels = new Float32Array(findings.length);
    findings.forEach((f, j) => {
      const y = labelValue(r.fields.get(f));
      if (y === undefined)
        throw new InputError(
          `${where(r, f)}: label ${JSON.stringify(r.fields.get(f))} is not 0, 1 or missing (empty, -1, NaN)`,
          path,
        );
      labels[j] = y;
    });
    const out: DataCase = { id, images, contrasts, masks, labels, patient: id, line: r.line };
    const split = text(r.fields.get("split")).toLowerCase();
    if (split !== "") {
      const s = split === "validation" || split === "valid" ? "val" : split;
      if (!(SPLIT_NAMES as readonly string[]).includes(s))
        throw new InputError(`${where(r, "split")}: split '${split}' is not train, val or test`, path);
      out.split = s as SplitName;
    }
    if (patientCol) {
      const p = text(r.fields.get(patientCol));
      if (p !== "") out.patient = p;
    }
    const report = r.fields.get("report");
    if (text(report) !== "") out.report = String(report);
    return out;
  });
  if (cases.length === 0) throw new InputError("empty manifest (no cases)", path);
  return { path, findings, cases, hasSplits: cases.every((c) => c.split !== undefined) };
}
