/**
 * Header validation as a battery of small checks (nibabel's `_chk_*` style): each looks at one
 * aspect of a decoded header and returns the problem in words, or undefined. They run in order,
 * so later checks may assume what earlier ones established (e.g. a known datatype for bitpix).
 */
import { datatypeByCode, REFUSED_DATATYPES } from "./datatypes.js";
import type { NiftiHeader } from "./header.js";

export type HeaderCheck = (h: NiftiHeader) => string | undefined;

const chkMagic: HeaderCheck = (h) => {
  if (h.magic === h.layout.pairMagic)
    return "NIfTI header/image pairs (.hdr/.img) are not supported; convert to a single .nii file";
  if (h.magic !== h.layout.magic) return `bad NIfTI-${h.layout.version} magic ${JSON.stringify(h.magic)}`;
  return undefined;
};

const chkDim0: HeaderCheck = (h) => {
  const n = h.dim[0]!;
  return Number.isInteger(n) && n >= 1 && n <= 7 ? undefined : `dim[0] is ${n}, must be 1 to 7`;
};

const chkDims: HeaderCheck = (h) => {
  for (let i = 1; i <= h.dim[0]!; i++) {
    const d = h.dim[i]!;
    if (!Number.isSafeInteger(d) || d < 1) return `dim[${i}] is ${d}, must be a positive integer`;
  }
  return undefined;
};

// Volume holds 3D or 4D; trailing dimensions of size 1 are harmless.
const chkAtMost4D: HeaderCheck = (h) => {
  for (let i = 5; i <= h.dim[0]!; i++)
    if (h.dim[i] !== 1) return `${h.dim[0]}D data (dim[${i}] = ${h.dim[i]}) is not supported; at most 4D`;
  return undefined;
};

const chkDatatype: HeaderCheck = (h) =>
  REFUSED_DATATYPES.get(h.datatype) ??
  (datatypeByCode(h.datatype) ? undefined : `unknown datatype code ${h.datatype}`);

const chkBitpix: HeaderCheck = (h) => {
  const dt = datatypeByCode(h.datatype)!;
  return h.bitpix === dt.bitpix
    ? undefined
    : `bitpix ${h.bitpix} does not match datatype ${dt.dtype} (${dt.bitpix} bits)`;
};

// 0 in a single file means "straight after the header"; anything else must clear the header and
// its 4-byte extension flag (nibabel refuses less, too).
const chkVoxOffset: HeaderCheck = (h) => {
  const v = h.vox_offset;
  if (!Number.isFinite(v) || v < 0) return `invalid vox_offset ${v}`;
  const min = h.layout.sizeofHdr + 4;
  if (v !== 0 && Math.floor(v) < min)
    return `vox_offset ${Math.floor(v)} overlaps the header (minimum ${min})`;
  return undefined;
};

// nibabel's get_slope_inter: a slope of 0 or non-finite means no scaling; a usable slope with a
// non-finite intercept is an error.
const chkScaling: HeaderCheck = (h) =>
  h.scl_slope !== 0 && Number.isFinite(h.scl_slope) && !Number.isFinite(h.scl_inter)
    ? `valid scl_slope ${h.scl_slope} but invalid scl_inter ${h.scl_inter}`
    : undefined;

export const HEADER_CHECKS: readonly HeaderCheck[] = [
  chkMagic,
  chkDim0,
  chkDims,
  chkAtMost4D,
  chkDatatype,
  chkBitpix,
  chkVoxOffset,
  chkScaling,
];

/** The first problem the checks find, or undefined for a usable header. */
export function headerProblem(h: NiftiHeader): string | undefined {
  for (const check of HEADER_CHECKS) {
    const problem = check(h);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
