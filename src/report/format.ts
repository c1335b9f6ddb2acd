/**
 * Text for the report: HTML escaping and the number formats every table and caption share, so
 * the same quantity reads the same everywhere. Undefined values (an AUC where a class is
 * missing, an SD over one seed) print as "—", never as a number.
 */

export const DASH = "—";

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for HTML/SVG element content and quoted attribute values. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]!);
}

/** A probability-scale value (AUC, difference) with 3 decimals. */
export function fmt3(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? DASH : x.toFixed(3);
}

/** A signed difference: "+0.012" / "−0.034". */
export function fmtDiff(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return DASH;
  const s = Math.abs(x).toFixed(3);
  return x < 0 ? `−${s}` : `+${s}`;
}

export function fmtCi(ci: readonly [number, number] | null | undefined): string {
  return ci ? `[${fmt3(ci[0])}, ${fmt3(ci[1])}]` : DASH;
}

/** The same convention as `medadapt eval`: 4 decimals, or 1 significant digit below 1e-4. */
export function fmtP(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return DASH;
  // Below ~1e-300 the normal tail underflows to 0.
  if (p === 0) return "<1e-300";
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}

/** An integer with comma thousands separators, independent of the machine's locale. */
export function fmtInt(n: number): string {
  const s = String(Math.round(Math.abs(n)));
  const grouped = s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return n < 0 ? `−${grouped}` : grouped;
}

/** A fraction (0.0032) as a percentage ("0.32 %"). */
export function fmtPercent(fraction: number): string {
  const pct = fraction * 100;
  if (pct === 0) return "0 %";
  if (Math.abs(pct) < 0.01) return "<0.01 %";
  return `${Math.abs(pct) < 10 ? pct.toFixed(2) : pct.toFixed(1)} %`;
}

/** A duration: "42.0 s", "3 min 05 s", "1 h 02 min". */
export function fmtSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, "0")} min` : `${m} min ${String(sec).padStart(2, "0")} s`;
}
