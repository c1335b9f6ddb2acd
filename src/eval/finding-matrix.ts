import { InputError } from "../errors.js";

/**
 * Cases × findings, row-major (row = case, column = finding), as a model's (N, F) output. Labels
 * are 1, 0 or NaN (not labelled for that finding: the case is left out of that finding only).
 */
export interface FindingMatrix {
  rows: number;
  cols: number;
  data: ArrayLike<number>;
}

export function findingMatrix(rows: readonly (readonly number[])[]): FindingMatrix {
  const cols = rows[0]?.length ?? 0;
  const data = new Float64Array(rows.length * cols);
  rows.forEach((r, i) => {
    if (r.length !== cols) throw new InputError(`row ${i} has ${r.length} values, expected ${cols}`);
    data.set(r, i * cols);
  });
  return { rows: rows.length, cols, data };
}

/** One finding's values over all cases. */
export function column(m: FindingMatrix, j: number): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) out[i] = m.data[i * m.cols + j]!;
  return out;
}
