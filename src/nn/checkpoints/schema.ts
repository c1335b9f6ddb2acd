// A small declarative schema for config.json objects: typed fields with defaults and bounds.
// Every problem is collected, so one error names all of them.
export type FieldType = "int" | "number" | "bool" | "string";

export interface Field {
  type: FieldType;
  /** Absent fields take this value; without a default the field is required. */
  default?: number | boolean | string;
  /** Inclusive lower bound for numbers. */
  min?: number;
  /** Allowed string values. */
  oneOf?: readonly string[];
}

export type Schema = Readonly<Record<string, Field>>;

/** Reads `obj` against `schema`; pushes one message per bad field into `problems`. */
export function readFields(
  obj: Record<string, unknown>,
  schema: Schema,
  problems: string[],
  where = "",
): Record<string, number | boolean | string> {
  const out: Record<string, number | boolean | string> = {};
  for (const [key, f] of Object.entries(schema)) {
    const name = `${where}${key}`;
    const raw = obj[key];
    if (raw === undefined || raw === null) {
      if (f.default === undefined) problems.push(`${name} is missing`);
      else out[key] = f.default;
      continue;
    }
    const ok =
      f.type === "bool"
        ? typeof raw === "boolean"
        : f.type === "string"
          ? typeof raw === "string"
          : typeof raw === "number" && Number.isFinite(raw) && (f.type === "number" || Number.isInteger(raw));
    if (!ok) {
      problems.push(
        `${name} must be ${f.type === "int" ? "an integer" : `a ${f.type}`} (got ${JSON.stringify(raw)})`,
      );
      continue;
    }
    if (typeof raw === "number" && f.min !== undefined && raw < f.min) {
      problems.push(`${name} must be ≥ ${f.min} (got ${raw})`);
      continue;
    }
    if (typeof raw === "string" && f.oneOf && !f.oneOf.includes(raw)) {
      problems.push(`${name} must be one of ${f.oneOf.join(", ")} (got "${raw}")`);
      continue;
    }
    out[key] = raw as number | boolean | string;
  }
  return out;
}
