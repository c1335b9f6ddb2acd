/**
 * From headers to stacks: group frames by SeriesInstanceUID, split a series that mixes sizes,
 * orientations, pixel formats or echoes (as dcm2niix does), sort along the slice normal, resolve
 * duplicate positions (a time series becomes 4D; leftovers are dropped with a warning) and work
 * out the geometry.
 */
import type { Mat4 } from "../../volume/affine.js";
import { dot, sliceNormal, spacingReport, stackAffine } from "./geometry.js";
import type { DicomHeader, FrameInfo, Vec3 } from "./header.js";

export interface Slice {
  readonly header: DicomHeader;
  readonly frame: number;
  readonly info: FrameInfo;
}

export interface Stack {
  readonly seriesInstanceUID: string;
  /** Slices in output order: k fastest, then t. */
  readonly slices: Slice[];
  readonly nz: number;
  readonly nt: number;
  /** Distance of each k plane along the slice normal (mm). */
  readonly distances: number[];
  readonly affine: Mat4;
  readonly gaps: number[];
  readonly uniform: boolean;
  readonly notes: string[];
  readonly warnings: string[];
}

/**
 * What separates volumes within one series. Numbers compare with a tolerance (scanners write
 * orientations and spacings with jitter in the last digits), everything else exactly.
 */
const SPLIT_FIELDS: readonly { name: string; same: (a: Slice, b: Slice) => boolean }[] = [
  {
    name: "image size",
    same: (a, b) =>
      a.header.format.columns === b.header.format.columns && a.header.format.rows === b.header.format.rows,
  },
  { name: "orientation", same: (a, b) => close(a.info.orientation, b.info.orientation, 1e-3) },
  { name: "pixel spacing", same: (a, b) => close(a.info.spacing, b.info.spacing, 1e-3, true) },
  {
    name: "pixel format",
    same: (a, b) => {
      const f = a.header.format;
      const g = b.header.format;
      return (
        f.bitsAllocated === g.bitsAllocated &&
        f.signed === g.signed &&
        f.samplesPerPixel === g.samplesPerPixel &&
        f.photometric === g.photometric
      );
    },
  },
  { name: "echo or stack", same: (a, b) => a.info.echo === b.info.echo },
];

function close(
  a: readonly number[] | undefined,
  b: readonly number[] | undefined,
  tol: number,
  relative = false,
): boolean {
  if (!a || !b) return a === b;
  return a.every((v, i) => Math.abs(v - b[i]!) <= tol * (relative ? Math.max(1, Math.abs(v)) : 1));
}

/** Groups all frames of `headers` into stacks, series by series, in a stable order. */
export function buildStacks(headers: readonly DicomHeader[]): Stack[] {
  const bySeries = new Map<string, Slice[]>();
  for (const h of headers)
    for (let f = 0; f < h.frames.length; f++) {
      const list = bySeries.get(h.seriesInstanceUID) ?? [];
      list.push({ header: h, frame: f, info: h.frames[f]! });
      bySeries.set(h.seriesInstanceUID, list);
    }
  const stacks: Stack[] = [];
  for (const [uid, slices] of bySeries) {
    // Each slice joins the first group whose first slice it matches on every field.
    let groups: Slice[][] = [];
    for (const s of slices) {
      const g = groups.find((g) => SPLIT_FIELDS.every((f) => f.same(g[0]!, s)));
      if (g) g.push(s);
      else groups.push([s]);
    }
    const differing = SPLIT_FIELDS.filter((f) => groups.some((g) => !f.same(g[0]!, groups[0]![0]!))).map(
      (f) => f.name,
    );
    const byAcquisition = groups.map(splitAcquisitions);
    if (byAcquisition.some((g) => g.length > 1)) differing.push("overlapping acquisitions");
    groups = byAcquisition.flat().sort((a, b) => b.length - a.length);
    const splitNote =
      groups.length > 1
        ? `series ${uid} mixes ${differing.join(", ")}: split into ${groups.length} volumes`
        : undefined;
    groups.forEach((g, index) => {
      const st = buildStack(uid, g);
      if (splitNote) st.notes.unshift(`${splitNote} (this is volume ${index + 1}, ${g.length} slices)`);
      stacks.push(st);
    });
  }
  return stacks;
}

/**
 * Separate acquisitions that cover some positions twice but not as a clean time series (e.g. a
 * repeated scan of part of the range): one volume per AcquisitionNumber, when that leaves no
 * acquisition with repeated positions. Anything else is left to buildStack.
 */
function splitAcquisitions(slices: Slice[]): Slice[][] {
  const iop = slices[0]!.info.orientation;
  if (!iop || slices.some((s) => !s.info.position)) return [slices];
  const normal = sliceNormal(iop);
  const at = (s: Slice) => Math.round(dot(s.info.position!, normal) * 1000);
  const counts = new Map<number, number>();
  for (const s of slices) counts.set(at(s), (counts.get(at(s)) ?? 0) + 1);
  const perPosition = new Set(counts.values());
  if (!([...perPosition].some((c) => c > 1) && perPosition.size > 1)) return [slices];
  const byAcq = new Map<number | undefined, Slice[]>();
  for (const s of slices) {
    const list = byAcq.get(s.header.acquisitionNumber) ?? [];
    list.push(s);
    byAcq.set(s.header.acquisitionNumber, list);
  }
  if (byAcq.size < 2) return [slices];
  const parts = [...byAcq.entries()].sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0)).map(([, g]) => g);
  const clean = parts.every((g) => new Set(g.map(at)).size === g.length);
  return clean ? parts : [slices];
}

function compareTemporal(a: Slice, b: Slice): number {
  const ta = a.info.temporal;
  const tb = b.info.temporal;
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) if (ta[i] !== tb[i]) return ta[i]! - tb[i]!;
  return a.header.path < b.header.path ? -1 : a.header.path > b.header.path ? 1 : 0;
}

function buildStack(uid: string, input: Slice[]): Stack {
  const notes: string[] = [];
  const warnings: string[] = [];
  let slices = input;

  // The same instance twice (copied files) carries no information: keep one.
  const seen = new Set<string>();
  const unique: Slice[] = [];
  for (const s of slices) {
    const id = s.header.sopInstanceUID === undefined ? undefined : `${s.header.sopInstanceUID}#${s.frame}`;
    if (id !== undefined && seen.has(id)) continue;
    if (id !== undefined) seen.add(id);
    unique.push(s);
  }
  if (unique.length < slices.length)
    notes.push(`ignored ${slices.length - unique.length} duplicate file(s) with the same SOPInstanceUID`);
  slices = unique;

  const first = slices[0]!;
  let iop = first.info.orientation;
  const complete = iop !== undefined && slices.every((s) => s.info.position !== undefined);
  let distanceOf: (s: Slice) => number;
  let positionOf: (s: Slice) => Vec3;
  if (complete) {
    const normal = sliceNormal(iop!);
    distanceOf = (s) => dot(s.info.position!, normal);
    positionOf = (s) => s.info.position!;
  } else {
    // Without positions the only order left is the instance number; spacing from the header.
    const step = first.header.spacingBetweenSlices ?? first.header.sliceThickness ?? 1;
    const order = [...slices].sort(
      (a, b) => (a.header.instanceNumber ?? 0) - (b.header.instanceNumber ?? 0) || compareTemporal(a, b),
    );
    const index = new Map(order.map((s, k) => [s, k]));
    iop ??= [1, 0, 0, 0, 1, 0];
    const normal = sliceNormal(iop);
    const origin = first.info.position ?? [0, 0, 0];
    distanceOf = (s) => index.get(s)! * step;
    positionOf = (s) => {
      const d = index.get(s)! * step;
      return [origin[0] + normal[0] * d, origin[1] + normal[1] * d, origin[2] + normal[2] * d];
    };
    warnings.push(
      `ImagePositionPatient/ImageOrientationPatient missing: slices ordered by InstanceNumber, ${step} mm apart${
        first.info.orientation ? "" : ", axial orientation assumed"
      }; the geometry is a guess`,
    );
  }

  const orientation: readonly number[] = iop ?? [1, 0, 0, 0, 1, 0];
  const withDistance = slices.map((s) => ({ s, d: distanceOf(s) }));
  withDistance.sort((a, b) => a.d - b.d || compareTemporal(a.s, b.s));
  // Planes: runs of slices at the same position (within 1 µm per mm of extent, at least 1e-3 mm).
  const planes: { d: number; slices: Slice[] }[] = [];
  for (const { s, d } of withDistance) {
    const last = planes[planes.length - 1];
    if (last && Math.abs(d - last.d) < 1e-3) last.slices.push(s);
    else planes.push({ d, slices: [s] });
  }
  const counts = new Set(planes.map((p) => p.slices.length));
  let nt = 1;
  if (counts.size === 1 && planes[0]!.slices.length > 1) {
    nt = planes[0]!.slices.length;
    for (const p of planes) p.slices.sort(compareTemporal);
    notes.push(`${nt} slices at each of ${planes.length} positions: read as ${nt} time points (4D)`);
  } else if (counts.size > 1) {
    let dropped = 0;
    for (const p of planes) {
      p.slices.sort(compareTemporal);
      dropped += p.slices.length - 1;
      p.slices.length = 1;
    }
    warnings.push(
      `${dropped} slice(s) share a position with another slice and were dropped (kept the first by temporal position, acquisition and instance number)`,
    );
  }
  const nz = planes.length;
  const ordered: Slice[] = [];
  for (let t = 0; t < nt; t++) for (const p of planes) ordered.push(p.slices[t]!);

  const distances = planes.map((p) => p.d);
  const { gaps, uniform } = spacingReport(distances);
  const spacing = first.info.spacing ?? [1, 1];
  if (!first.info.spacing) warnings.push("PixelSpacing missing: 1 mm assumed");
  const p0 = positionOf(planes[0]!.slices[0]!);
  let step: Vec3;
  if (nz > 1) {
    const pn = positionOf(planes[nz - 1]!.slices[0]!);
    step = [(pn[0] - p0[0]) / (nz - 1), (pn[1] - p0[1]) / (nz - 1), (pn[2] - p0[2]) / (nz - 1)];
    const normal = sliceNormal(orientation);
    const along = dot(step, normal);
    const len = Math.hypot(...step);
    if (len > 0 && Math.abs(along) / len < Math.cos((0.1 * Math.PI) / 180))
      notes.push(
        `slices are offset sideways along the stack (gantry tilt ${((Math.acos(Math.min(1, Math.abs(along) / len)) * 180) / Math.PI).toFixed(2)}°): the affine is sheared, not resampled`,
      );
  } else {
    const t = first.header.spacingBetweenSlices ?? first.header.sliceThickness ?? 1;
    const normal = sliceNormal(orientation);
    step = [normal[0] * t, normal[1] * t, normal[2] * t];
  }
  if (!uniform)
    warnings.push(
      `non-uniform slice spacing (gaps ${Math.min(...gaps).toFixed(3)}–${Math.max(...gaps).toFixed(3)} mm, see sliceGaps); the affine uses the mean spacing unless resampleNonUniform is set`,
    );
  return {
    seriesInstanceUID: uid,
    slices: ordered,
    nz,
    nt,
    distances,
    affine: stackAffine(orientation, spacing, p0, step),
    gaps,
    uniform,
    notes,
    warnings,
  };
}
