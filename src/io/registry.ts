/**
 * Which reader opens a path: an ordered list of format readers, each recognising its files from
 * the first bytes (nibabel's imageclasses style). NIfTI comes first because its test is exact
 * (sizeof_hdr and magic, inside gzip too); DICOM is last because its preamble-less test is a
 * heuristic, and it also takes every folder.
 */
import { open, stat } from "node:fs/promises";
import { InputError } from "../errors.js";
import type { Volume } from "../volume/volume.js";
import { isDicomFile, readDicom } from "./dicom/index.js";
import { NIFTI1, NIFTI2, sniffHeader } from "./nifti/header.js";
import { inflateHead, isGzip, readNifti } from "./nifti/read.js";

export type ScanFormat = "nifti" | "dicom";

export interface ReadScanOptions {
  /** Refuse volumes larger than this many voxels before allocating them. */
  maxVoxels?: number;
  /** DICOM only: the SeriesInstanceUID to read. */
  series?: string;
  /** DICOM only: called as files are scanned and decoded. */
  onProgress?: (done: number, total: number) => void;
}

/** What readers look at: whether the path is a folder, and the file's first bytes. */
export interface Probe {
  path: string;
  isDirectory: boolean;
  /** Up to the first 64 KiB of the file (empty for folders). */
  head: Uint8Array;
}

export interface FormatReader {
  format: ScanFormat;
  matches(probe: Probe): boolean;
  read(path: string, opts: ReadScanOptions): Promise<Volume[]>;
}

function looksLikeNifti(head: Uint8Array, path: string): boolean {
  let bytes = head;
  if (isGzip(head)) {
    try {
      bytes = inflateHead(head, path);
    } catch {
      // Unreadable gzip named like NIfTI: let the NIfTI reader say what is wrong with it.
      return /\.nii\.gz$/i.test(path);
    }
  }
  const s = sniffHeader(bytes);
  if (!s || bytes.length < s.layout.sizeofHdr) return false;
  const at = s.layout.offsets.get("magic")!;
  const magic = String.fromCharCode(...bytes.subarray(at, at + 3));
  return magic === NIFTI1.magic.slice(0, 3) || magic === NIFTI2.magic.slice(0, 3) || /^ni[12]$/.test(magic);
}

const niftiReader: FormatReader = {
  format: "nifti",
  matches: (p) => !p.isDirectory && looksLikeNifti(p.head, p.path),
  read: async (path, opts) => [
    await readNifti(path, opts.maxVoxels === undefined ? {} : { maxVoxels: opts.maxVoxels }),
  ],
};

const dicomReader: FormatReader = {
  format: "dicom",
  matches: (p) => p.isDirectory || isDicomFile(p.head),
  read: (path, opts) => readDicom(path, opts),
};

/** The readers in the order they are asked. */
export const FORMAT_READERS: readonly FormatReader[] = [niftiReader, dicomReader];

async function probe(path: string): Promise<Probe> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    throw new InputError(code === "ENOENT" ? "no such file or folder" : `cannot read (${code ?? err})`, path);
  }
  if (isDirectory) return { path, isDirectory, head: new Uint8Array(0) };
  const fh = await open(path, "r").catch((err: NodeJS.ErrnoException) => {
    throw new InputError(`cannot read (${err.code ?? err.message})`, path);
  });
  try {
    const head = new Uint8Array(1 << 16);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return { path, isDirectory, head: head.subarray(0, bytesRead) };
  } finally {
    await fh.close();
  }
}

/** The reader for `path`, or undefined when no reader recognises it. */
export async function readerFor(path: string): Promise<FormatReader | undefined> {
  const p = await probe(path);
  return FORMAT_READERS.find((r) => r.matches(p));
}

/** The format of `path` ("nifti" or "dicom"), or undefined when it is neither. */
export async function sniffFormat(path: string): Promise<ScanFormat | undefined> {
  return (await readerFor(path))?.format;
}

/**
 * Reads a scan in any supported format: a NIfTI file gives one volume, a DICOM file or folder one
 * volume per series (or per consistent part of a series).
 */
export async function readScan(path: string, opts: ReadScanOptions = {}): Promise<Volume[]> {
  const reader = await readerFor(path);
  if (!reader) throw new InputError("unrecognised format (neither NIfTI nor DICOM)", path);
  return reader.read(path, opts);
}
