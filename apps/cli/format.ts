/**
 * Plain-text tables for the commands' readable output: each column padded to its widest cell,
 * columns two spaces apart, no trailing blanks. With `numeric`, the first column (the row's name)
 * is left-aligned and the others right-aligned, so digits line up.
 */
export function formatTable(rows: readonly (readonly string[])[], numeric = false): string[] {
  const columns = Math.max(0, ...rows.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, c) =>
    Math.max(0, ...rows.map((row) => row[c]?.length ?? 0)),
  );
  return rows.map((row) =>
    row
      .map((cell, c) => (numeric && c > 0 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd(),
  );
}
