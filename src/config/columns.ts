// Manifest column conventions shared by the data layer (which reads manifests) and the task and
// pipeline configs (which name a manifest column): one place for the rule, below both layers.

/** `hemorrhage_mask` → "hemorrhage", `mask` → "mask", `mask_liver` → "liver"; else undefined. */
export function maskName(column: string): string | undefined {
  if (column === "mask") return "mask";
  const m = /^(.+)_mask$/.exec(column) ?? /^mask_(.+)$/.exec(column);
  return m?.[1];
}

/** The case mask a config's column refers to: its mask name, or the name itself (`anatomy`). */
export function maskOfColumn(column: string): string {
  return maskName(column) ?? column;
}
