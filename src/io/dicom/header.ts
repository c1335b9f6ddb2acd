/**
 * One DICOM file's header, read once: identity, pixel format, per-frame geometry and rescale,
 * and where the pixel data sits. Pixels are decoded later from the same offsets.
 */
import { inflateRawSync } from "node:zlib";
import dicomParser, { type DataSet, type Element } from "dicom-parser";
import { InputError } from "../../errors.js";
import { type Encapsulated, parseEncapsulated } from "./fragments.js";
import { sniffDicom } from "./sniff.js";
import { describeTransferSyntax, type TransferSyntax, transferSyntax } from "./transfer-syntax.js";

export type Vec3 = [number, number, number];

/** Geometry and rescale of one frame (a classic file has one). */
export interface FrameInfo {
  /** ImagePositionPatient (LPS mm) of the first transmitted pixel, when present. */
  position: Vec3 | undefined;
  /** ImageOrientationPatient: row direction then column direction (LPS unit vectors). */
  orientation: readonly number[] | undefined;
  /** PixelSpacing: [between rows, between columns] in mm. */
  spacing: [number, number] | undefined;
  slope: number;
  intercept: number;
  /** Whether RescaleSlope/Intercept were present at all (decides units). */
  rescaled: boolean;
  /** Extra identity that separates frames at one position (echo, temporal position, stack). */
  echo: string;
  /** Order of frames sharing a position (time series). */
  temporal: number[];
}

export interface PixelFormat {
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  signed: boolean;
  samplesPerPixel: number;
  photometric: string;
  planarConfiguration: number;
}

export interface DicomHeader {
  path: string;
  syntax: TransferSyntax;
  sopInstanceUID: string | undefined;
  seriesInstanceUID: string;
  seriesDescription: string | undefined;
  seriesNumber: number | undefined;
  modality: string | undefined;
  rescaleType: string | undefined;
  instanceNumber: number | undefined;
  acquisitionNumber: number | undefined;
  sliceThickness: number | undefined;
  spacingBetweenSlices: number | undefined;
  format: PixelFormat;
  numberOfFrames: number;
  frames: FrameInfo[];
  /** Native pixel data: absolute offset and length; encapsulated: the parsed items. */
  /** `vr` is the Pixel Data VR when explicit (big-endian byte swapping follows it). */
  pixel: { offset: number; length: number; encapsulated: Encapsulated | undefined; vr: string | undefined };
  /** Kept only when the offsets refer to bytes that re-reading the file would not give back (deflate). */
  bytes: Uint8Array | undefined;
  /** A problem found in the header pass that makes the pixels unreadable; reported if this file is loaded. */
  defect: string | undefined;
}

/** Why a file was not taken as an image (skipped, counted, not an error in a folder). */
export class NotAnImage extends Error {}

const LEE = "1.2.840.10008.1.2.1";
const LEI = "1.2.840.10008.1.2";
const BEE = "1.2.840.10008.1.2.2";

/** Deflated data sets: the raw-deflate stream after the file meta, inflated with node:zlib. */
function inflate(bytes: Uint8Array, position: number): Uint8Array {
  const inflated = inflateRawSync(bytes.subarray(position));
  const out = Buffer.allocUnsafe(position + inflated.length);
  out.set(bytes.subarray(0, position), 0);
  out.set(inflated, position);
  return out;
}

/**
 * Parses the header of `bytes` (the whole file). Throws NotAnImage or InputError (unparseable
 * header, missing Rows/Columns); problems with the pixels themselves become `defect`.
 */
export function readHeader(
  path: string,
  bytes: Uint8Array,
  maxVoxels = Number.POSITIVE_INFINITY,
): DicomHeader {
  const flavour = sniffDicom(bytes);
  if (!flavour) throw new NotAnImage("not a DICOM file");
  let ds: DataSet;
  try {
    const opts: dicomParser.ParseDicomOptions = { untilTag: "x7fe00010" };
    if (!flavour.part10) opts.TransferSyntaxUID = flavour.bigEndian ? BEE : flavour.explicit ? LEE : LEI;
    opts.inflater = inflate;
    ds = dicomParser.parseDicom(bytes, opts);
  } catch (e) {
    throw new InputError(`corrupt or truncated DICOM file (${describeParseError(e)})`, path);
  }
  const tsUID = (
    str(ds, "x00020010") ??
    (ds.elements.x00020010 as { Value?: string } | undefined)?.Value ??
    LEI
  )
    .replace(/\0/g, "")
    .trim();
  const pixelElement = ds.elements.x7fe00010;
  if (!pixelElement && (ds.elements.x7fe00008 || ds.elements.x7fe00009))
    throw new InputError("Float/Double Float Pixel Data (parametric maps) is not supported", path);
  if (!pixelElement) throw new NotAnImage("DICOM file without pixel data");
  // An unsupported syntax is a defect of this file, reported only if its series is read, so the
  // other series of a folder still load (and the listing still shows it).
  const known = transferSyntax(tsUID);
  const syntax: TransferSyntax = known ?? {
    uid: tsUID,
    name: describeTransferSyntax(tsUID).slice(tsUID.length + 2, -1),
    encoding: "native",
  };

  const rows = ds.uint16("x00280010");
  const columns = ds.uint16("x00280011");
  const bitsAllocated = ds.uint16("x00280100");
  if (!rows || !columns || !bitsAllocated)
    throw new InputError("missing Rows, Columns or BitsAllocated (0028,0010/0011/0100)", path);
  const bitsStored = ds.uint16("x00280101") ?? bitsAllocated;
  const format: PixelFormat = {
    rows,
    columns,
    bitsAllocated,
    bitsStored,
    highBit: ds.uint16("x00280102") ?? bitsStored - 1,
    signed: ds.uint16("x00280103") === 1,
    samplesPerPixel: ds.uint16("x00280002") ?? 1,
    photometric: (str(ds, "x00280004") ?? "MONOCHROME2").toUpperCase(),
    planarConfiguration: ds.uint16("x00280006") ?? 0,
  };
  const numberOfFrames = Math.max(1, ds.intString("x00280008") ?? 1);
  const seriesInstanceUID =
    str(ds, "x0020000e") ?? `unknown-series:${str(ds, "x0020000d") ?? "unknown-study"}`;

  let defect: string | undefined = known
    ? undefined
    : `unsupported transfer syntax ${describeTransferSyntax(tsUID)}`;
  let encapsulated: Encapsulated | undefined;
  const bigBytes = ds.byteArray as Uint8Array;
  if (defect) {
    // Pixels in an unknown encoding: nothing to locate.
  } else if (pixelElement.hadUndefinedLength || pixelElement.length === 0xffffffff) {
    try {
      encapsulated = parseEncapsulated(bigBytes, pixelElement.dataOffset);
    } catch (e) {
      defect = (e as Error).message;
    }
  } else if (pixelElement.dataOffset + pixelElement.length > bigBytes.length) {
    defect = `pixel data is ${pixelElement.length} bytes but the file ends after ${Math.max(0, bigBytes.length - pixelElement.dataOffset)} (truncated file)`;
  }

  const header: DicomHeader = {
    path,
    syntax,
    sopInstanceUID: str(ds, "x00080018"),
    seriesInstanceUID,
    seriesDescription: str(ds, "x0008103e"),
    seriesNumber: ds.intString("x00200011"),
    modality: str(ds, "x00080060"),
    rescaleType: str(ds, "x00281054") ?? str(ds, "x30040002"),
    instanceNumber: ds.intString("x00200013"),
    acquisitionNumber: ds.intString("x00200012"),
    sliceThickness: ds.floatString("x00180050"),
    spacingBetweenSlices: ds.floatString("x00180088"),
    format,
    numberOfFrames,
    frames: [],
    pixel: {
      offset: pixelElement.dataOffset,
      length: pixelElement.length,
      encapsulated,
      vr: pixelElement.vr,
    },
    bytes: bigBytes === bytes ? undefined : bigBytes,
    defect,
  };
  const voxels = rows * columns * numberOfFrames;
  if (voxels > maxVoxels) {
    // Refused before anything per frame is built (NumberOfFrames may be absurd too).
    header.defect = `${columns}×${rows}×${numberOfFrames} frame(s) = ${voxels} voxels exceeds the limit of ${maxVoxels} (maxVoxels)`;
    header.numberOfFrames = 1;
  }
  header.frames = readFrames(ds, header);
  return header;
}

function describeParseError(e: unknown): string {
  const inner = (e as { exception?: unknown })?.exception ?? e;
  const text = inner instanceof Error ? inner.message : String(inner);
  return text.replace(/^dicomParser\.?\w*:\s*/i, "").slice(0, 200);
}

function str(ds: DataSet, tag: string): string | undefined {
  const s = ds.string(tag);
  return s === undefined || s === "" ? undefined : s;
}

function numbers(ds: DataSet | undefined, tag: string, count: number): number[] | undefined {
  if (!ds?.elements[tag]) return undefined;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const v = ds.floatString(tag, i);
    if (v === undefined || !Number.isFinite(v)) return undefined;
    out.push(v);
  }
  return out;
}

function firstItem(ds: DataSet | undefined, tag: string): DataSet | undefined {
  const el: Element | undefined = ds?.elements[tag];
  return el?.items?.[0]?.dataSet;
}

/** Looks a functional group up in the frame's own item first, then in the shared groups. */
function group(perFrame: DataSet | undefined, shared: DataSet | undefined, tag: string): DataSet | undefined {
  return firstItem(perFrame, tag) ?? firstItem(shared, tag);
}

function readFrames(ds: DataSet, h: DicomHeader): FrameInfo[] {
  const perFrame = ds.elements.x52009230?.items;
  const shared = firstItem(ds, "x52009229");
  const fileEcho = [ds.intString("x00180086") ?? ""].join("");
  const fileTemporal = [
    ds.intString("x00200100") ?? 0, // TemporalPositionIdentifier
    ds.intString("x00200012") ?? 0, // AcquisitionNumber
    ds.floatString("x00181060") ?? 0, // TriggerTime
    h.instanceNumber ?? 0,
  ];
  const base = {
    position: numbers(ds, "x00200032", 3) as Vec3 | undefined,
    orientation: numbers(ds, "x00200037", 6),
    spacing: (numbers(ds, "x00280030", 2) ?? numbers(ds, "x00181164", 2)) as [number, number] | undefined,
    // RT Dose scales stored values by DoseGridScaling instead of a rescale.
    slope: ds.floatString("x00281053") ?? ds.floatString("x3004000e"),
    intercept: ds.floatString("x00281052"),
  };
  const frames: FrameInfo[] = [];
  for (let f = 0; f < h.numberOfFrames; f++) {
    const own = perFrame?.[f]?.dataSet;
    if (perFrame || shared) {
      const plane = group(own, shared, "x00209113");
      const orient = group(own, shared, "x00209116");
      const measures = group(own, shared, "x00289110");
      const pvt = group(own, shared, "x00289145");
      const content = group(own, shared, "x00209111");
      const echo = group(own, shared, "x00189114");
      const slope = pvt?.floatString("x00281053") ?? base.slope;
      const intercept = pvt?.floatString("x00281052") ?? base.intercept;
      frames.push({
        position:
          (numbers(plane, "x00200032", 3) as Vec3 | undefined) ?? (f === 0 ? base.position : undefined),
        orientation: numbers(orient, "x00200037", 6) ?? base.orientation,
        spacing: (numbers(measures, "x00280030", 2) as [number, number] | undefined) ?? base.spacing,
        slope: slope ?? 1,
        intercept: intercept ?? 0,
        rescaled: slope !== undefined || intercept !== undefined,
        echo: [fileEcho, content?.string("x00209056") ?? "", echo?.floatString("x00189082") ?? ""].join("|"),
        temporal: [content?.uint32("x00209128") ?? 0, ...fileTemporal, f],
      });
    } else {
      frames.push({
        position: f === 0 ? base.position : undefined,
        orientation: base.orientation,
        spacing: base.spacing,
        slope: base.slope ?? 1,
        intercept: base.intercept ?? 0,
        rescaled: base.slope !== undefined || base.intercept !== undefined,
        echo: fileEcho,
        temporal: [...fileTemporal, f],
      });
    }
  }
  // Legacy multi-frame files (NM, RT Dose, some US/MR exports) give one position: the frames
  // follow along the slice normal at the GridFrameOffsetVector offsets (RT Dose), else at
  // SpacingBetweenSlices (or SliceThickness).
  const first = frames[0]!;
  if (h.numberOfFrames > 1 && first.position && first.orientation && frames.some((fr) => !fr.position)) {
    const step = h.spacingBetweenSlices ?? h.sliceThickness ?? 1;
    const grid = numbers(ds, "x3004000c", h.numberOfFrames);
    // Offsets are relative when the first is 0, else absolute along the normal: either way,
    // differences from the first offset.
    const offset = (f: number) => (grid ? grid[f]! - grid[0]! : step * f);
    const n = cross(first.orientation);
    for (let f = 1; f < frames.length; f++)
      if (!frames[f]!.position)
        frames[f]!.position = [
          first.position[0] + n[0] * offset(f),
          first.position[1] + n[1] * offset(f),
          first.position[2] + n[2] * offset(f),
        ];
  }
  return frames;
}

export function cross(iop: readonly number[]): Vec3 {
  const [a, b, c, d, e, f] = iop as [number, number, number, number, number, number];
  return [b * f - c * e, c * d - a * f, a * e - b * d];
}
