import { readFile } from "node:fs/promises";
import { parse } from "csv-parse/sync";
import { InputError } from "../errors.js";
import type { FindingMatrix } from "./finding-matrix.js";

/** A CSV file read with RFC 4180 quoting (quoted commas, quotes and newlines in fields). */
export interface CsvTable {
  path: string;
  columns: string[];
  rows: string[][];
  /** Line on which each row ends (1-based, counting the header), for error messages. */
  lines: number[];
}

export async function readCsvTable(path: string): Promise<CsvTable> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new InputError(
      `cannot read file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      path,
    );
  }
  return parseCsvTable(text, path);
}

export function parseCsvTable(text: string, path: string): CsvTable {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    // With info: true each record comes with its line numbers; the typings do not model that.
    // Any line ending, even mixed in one file (hand-edited manifests), ends a record.
    records = parse(text, {
      bom: true,
      info: true,
      skip_empty_lines: true,
      record_delimiter: ["\r\n", "\n", "\r"],
    }) as unknown as typeof records;
  } catch (err) {
    throw new InputError(`not a valid CSV file: ${(err as Error).message}`, path);
  }
  if (records.length === 0) throw new InputError("empty CSV file (no header row)", path);
  const columns = records[0]!.record.map((c) => c.trim());
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) throw new InputError(`column '${c}' appears twice in the header`, path);
    seen.add(c);
  }
  return {
    path,
    columns,
    rows: records.slice(1).map((r) => r.record),
    lines: records.slice(1).map((r) => r.info.lines),
  };
}

export interface EvalInputs {
  /** Case ids in label-file order. */
  ids: string[];
  /** Finding (label) columns: the columns the label file shares with the predictions, in label-file order. */
  findings: string[];
  labels: FindingMatrix;
  probs: FindingMatrix;
  compare?: FindingMatrix;
  /** Predicted cases left out because the label file puts them in another split. */
  otherSplit: number;
}

export interface EvalFiles {
  predictions: string;
  labels: string;
  /** A second predictions file on the same cases (for paired tests). */
  compare?: string;
  /** Keep only label rows whose `split` column equals this. */
  split?: string;
}

const ID = "id";
const SPLIT = "split";

/**
 * Joins a predictions CSV (id + one probability column per finding) with a label manifest (id,
 * 0/1 label columns, other columns ignored) on id. A label column is one both files have;
 * an empty label cell means "not labelled" (the case is left out of that finding). Every problem
 * is an InputError naming the file: missing or duplicate ids, predicted ids absent from the
 * labels, labelled cases without prediction, probabilities that are not numbers in [0, 1],
 * labels other than 0/1, no common columns.
 */
export async function readEvalInputs(files: EvalFiles): Promise<EvalInputs> {
  const [pred, lab, cmp] = await Promise.all([
    readCsvTable(files.predictions),
    readCsvTable(files.labels),
    files.compare === undefined ? undefined : readCsvTable(files.compare),
  ]);
  return joinEvalTables(pred, lab, cmp, files.split);
}

export function joinEvalTables(
  pred: CsvTable,
  lab: CsvTable,
  cmp: CsvTable | undefined,
  split?: string,
): EvalInputs {
  const labIds = idIndex(lab);
  const predIds = idIndex(pred);
  // `split` has its own role (--split), so it is never a finding even if both files carry it.
  const findings = lab.columns.filter((c) => c !== ID && c !== SPLIT && pred.columns.includes(c));
  if (findings.length === 0) {
    throw new InputError(
      `no finding column in common with ${lab.path} (predictions: ${list(pred.columns.filter((c) => c !== ID))}; labels: ${list(lab.columns.filter((c) => c !== ID))})`,
      pred.path,
    );
  }
  let keep = [...labIds.keys()];
  if (split !== undefined) {
    const s = lab.columns.indexOf(SPLIT);
    if (s < 0) throw new InputError("--split given but the file has no 'split' column", lab.path);
    keep = keep.filter((id) => lab.rows[labIds.get(id)!]![s]!.trim() === split);
    if (keep.length === 0) throw new InputError(`no row has split '${split}'`, lab.path);
  }
  const kept = new Set(keep);
  let otherSplit = 0;
  for (const id of predIds.keys()) {
    if (kept.has(id)) continue;
    if (labIds.has(id)) otherSplit++;
    else throw new InputError(`id '${id}' is not in the label file ${lab.path}`, pred.path);
  }
  const labels = matrixOf(lab, labIds, keep, findings, readLabel);
  const probs = probabilityMatrix(pred, predIds, keep, findings, lab.path);
  const out: EvalInputs = { ids: keep, findings, labels, probs, otherSplit };
  if (cmp) {
    const cmpIds = idIndex(cmp);
    for (const id of cmpIds.keys()) {
      if (!labIds.has(id)) throw new InputError(`id '${id}' is not in the label file ${lab.path}`, cmp.path);
    }
    out.compare = probabilityMatrix(cmp, cmpIds, keep, findings, lab.path);
  }
  return out;
}

function probabilityMatrix(
  t: CsvTable,
  ids: Map<string, number>,
  keep: string[],
  findings: string[],
  labelPath: string,
): FindingMatrix {
  const missingCol = findings.find((f) => !t.columns.includes(f));
  if (missingCol !== undefined) throw new InputError(`no probability column '${missingCol}'`, t.path);
  const missing = keep.filter((id) => !ids.has(id));
  if (missing.length > 0) {
    throw new InputError(
      `no prediction for ${missing.length} labelled case(s) of ${labelPath}, e.g. id '${missing[0]}'`,
      t.path,
    );
  }
  return matrixOf(t, ids, keep, findings, readProbability);
}

type CellReader = (cell: string, where: string, path: string) => number;

function matrixOf(
  t: CsvTable,
  ids: Map<string, number>,
  keep: string[],
  findings: string[],
  read: CellReader,
): FindingMatrix {
  const cols = findings.map((f) => t.columns.indexOf(f));
  const data = new Float64Array(keep.length * findings.length);
  keep.forEach((id, i) => {
    const r = ids.get(id)!;
    const row = t.rows[r]!;
    cols.forEach((c, j) => {
      data[i * findings.length + j] = read(
        row[c]!,
        `id '${id}', column '${findings[j]}' (line ${t.lines[r]})`,
        t.path,
      );
    });
  });
  return { rows: keep.length, cols: findings.length, data };
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function readProbability(cell: string, where: string, path: string): number {
  const s = cell.trim();
  if (s === "") throw new InputError(`missing probability for ${where}`, path);
  if (!DECIMAL.test(s)) throw new InputError(`probability '${s}' for ${where} is not a number`, path);
  const p = Number(s);
  if (!(p >= 0 && p <= 1)) throw new InputError(`probability ${s} for ${where} is outside [0, 1]`, path);
  return p;
}

function readLabel(cell: string, where: string, path: string): number {
  const s = cell.trim();
  if (s === "") return Number.NaN;
  const y = DECIMAL.test(s) ? Number(s) : Number.NaN;
  if (y !== 0 && y !== 1) throw new InputError(`label '${s}' for ${where} is not 0, 1 or empty`, path);
  return y;
}

function idIndex(t: CsvTable): Map<string, number> {
  const c = t.columns.indexOf(ID);
  if (c < 0) throw new InputError(`no '${ID}' column (columns: ${list(t.columns)})`, t.path);
  const index = new Map<string, number>();
  t.rows.forEach((row, r) => {
    const id = row[c]!.trim();
    if (id === "") throw new InputError(`missing id on line ${t.lines[r]}`, t.path);
    if (index.has(id)) {
      throw new InputError(
        `duplicate id '${id}' on lines ${t.lines[index.get(id)!]} and ${t.lines[r]}`,
        t.path,
      );
    }
    index.set(id, r);
  });
  return index;
}

function list(names: string[]): string {
  if (names.length === 0) return "none";
  return names.length <= 8 ? names.join(", ") : `${names.slice(0, 8).join(", ")}, … (${names.length})`;
}
