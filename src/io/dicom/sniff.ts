/**
 * Recognising DICOM bytes: the Part 10 "DICM" magic, or — for the preamble-less files that old
 * scanners and some exports write — a plausible first data element of group 0002 or 0008.
 */

const VRS = new Set(
  "AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV".split(
    " ",
  ),
);

export type DicomFlavour = { part10: true } | { part10: false; explicit: boolean; bigEndian?: boolean };

/** How to parse these bytes, or undefined when they do not look like DICOM. */
export function sniffDicom(bytes: Uint8Array): DicomFlavour | undefined {
  if (
    bytes.length >= 132 &&
    bytes[128] === 0x44 &&
    bytes[129] === 0x49 &&
    bytes[130] === 0x43 &&
    bytes[131] === 0x4d
  )
    return { part10: true };
  if (bytes.length < 8) return undefined;
  const vr = String.fromCharCode(bytes[4]!, bytes[5]!);
  // Explicit VR big endian (retired, but old archives hold it): group 0008 reads as 00 08.
  if (bytes[0] === 0 && bytes[1] === 0x08 && bytes[2] === 0 && bytes[3]! <= 0x20 && VRS.has(vr))
    return { part10: false, explicit: true, bigEndian: true };
  const group = bytes[0]! | (bytes[1]! << 8);
  const element = bytes[2]! | (bytes[3]! << 8);
  // Data sets are sorted by tag, so a bare data set starts with a low group; a real first element
  // is a group length or a small element number.
  if (group !== 0x0002 && group !== 0x0008) return undefined;
  if (element > 0x0020) return undefined;
  if (VRS.has(vr)) return { part10: false, explicit: true };
  const length = (bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24)) >>> 0;
  if (length > 0 && length <= 1024 && 8 + length <= bytes.length) return { part10: false, explicit: false };
  return undefined;
}

/** True for Part 10 DICOM bytes (preamble + "DICM") and for plausible preamble-less data sets. */
export function isDicomFile(bytes: Uint8Array): boolean {
  return sniffDicom(bytes) !== undefined;
}
