/**
 * Transfer syntaxes medadapt reads, as a table: UID → name and how the pixel data is encoded.
 * A syntax missing here is refused with its UID and (when known) its name.
 */
export type PixelEncoding =
  | "native"
  | "rle"
  | "jpeg-baseline"
  | "jpeg-extended"
  | "jpeg-lossless"
  | "jpeg-ls"
  | "jpeg-2000";

export interface TransferSyntax {
  readonly uid: string;
  readonly name: string;
  readonly encoding: PixelEncoding;
  readonly bigEndian?: boolean;
  readonly lossy?: boolean;
}

const SUPPORTED: readonly TransferSyntax[] = [
  { uid: "1.2.840.10008.1.2", name: "Implicit VR Little Endian", encoding: "native" },
  { uid: "1.2.840.10008.1.2.1", name: "Explicit VR Little Endian", encoding: "native" },
  { uid: "1.2.840.10008.1.2.1.99", name: "Deflated Explicit VR Little Endian", encoding: "native" },
  { uid: "1.2.840.10008.1.2.2", name: "Explicit VR Big Endian", encoding: "native", bigEndian: true },
  { uid: "1.2.840.10008.1.2.5", name: "RLE Lossless", encoding: "rle" },
  {
    uid: "1.2.840.10008.1.2.4.50",
    name: "JPEG Baseline (Process 1)",
    encoding: "jpeg-baseline",
    lossy: true,
  },
  {
    uid: "1.2.840.10008.1.2.4.51",
    name: "JPEG Extended (Process 2 & 4)",
    encoding: "jpeg-extended",
    lossy: true,
  },
  {
    uid: "1.2.840.10008.1.2.4.57",
    name: "JPEG Lossless, Non-Hierarchical (Process 14)",
    encoding: "jpeg-lossless",
  },
  {
    uid: "1.2.840.10008.1.2.4.70",
    name: "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])",
    encoding: "jpeg-lossless",
  },
  { uid: "1.2.840.10008.1.2.4.80", name: "JPEG-LS Lossless", encoding: "jpeg-ls" },
  { uid: "1.2.840.10008.1.2.4.81", name: "JPEG-LS Lossy (Near-Lossless)", encoding: "jpeg-ls", lossy: true },
  {
    uid: "1.2.840.10008.1.2.4.90",
    name: "JPEG 2000 Image Compression (Lossless Only)",
    encoding: "jpeg-2000",
  },
  { uid: "1.2.840.10008.1.2.4.91", name: "JPEG 2000 Image Compression", encoding: "jpeg-2000", lossy: true },
];

/** Names of syntaxes we recognise but do not decode, so the refusal says what the file is. */
const KNOWN_UNSUPPORTED: Readonly<Record<string, string>> = {
  "1.2.840.10008.1.2.4.52": "JPEG Extended (Process 3 & 5) (retired)",
  "1.2.840.10008.1.2.4.53": "JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8) (retired)",
  "1.2.840.10008.1.2.4.55": "JPEG Full Progression, Non-Hierarchical (Process 10 & 12) (retired)",
  "1.2.840.10008.1.2.4.92": "JPEG 2000 Part 2 Multi-component (Lossless Only)",
  "1.2.840.10008.1.2.4.93": "JPEG 2000 Part 2 Multi-component",
  "1.2.840.10008.1.2.4.94": "JPIP Referenced",
  "1.2.840.10008.1.2.4.95": "JPIP Referenced Deflate",
  "1.2.840.10008.1.2.4.100": "MPEG2 Main Profile / Main Level",
  "1.2.840.10008.1.2.4.101": "MPEG2 Main Profile / High Level",
  "1.2.840.10008.1.2.4.102": "MPEG-4 AVC/H.264 High Profile / Level 4.1",
  "1.2.840.10008.1.2.4.103": "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1",
  "1.2.840.10008.1.2.4.104": "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video",
  "1.2.840.10008.1.2.4.105": "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video",
  "1.2.840.10008.1.2.4.106": "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2",
  "1.2.840.10008.1.2.4.107": "HEVC/H.265 Main Profile / Level 5.1",
  "1.2.840.10008.1.2.4.108": "HEVC/H.265 Main 10 Profile / Level 5.1",
  "1.2.840.10008.1.2.4.201": "High-Throughput JPEG 2000 Image Compression (Lossless Only)",
  "1.2.840.10008.1.2.4.202": "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)",
  "1.2.840.10008.1.2.4.203": "High-Throughput JPEG 2000 Image Compression",
  "1.2.840.10008.1.2.8.1": "SMPTE ST 2110-20 Uncompressed Progressive Active Video",
  "1.2.840.10008.1.2.6.1": "RFC 2557 MIME encapsulation (retired)",
};

const BY_UID = new Map(SUPPORTED.map((ts) => [ts.uid, ts]));

export function transferSyntax(uid: string): TransferSyntax | undefined {
  return BY_UID.get(uid);
}

/** "1.2.840.10008.1.2.4.100 (MPEG2 Main Profile / Main Level)", or the bare UID when unknown. */
export function describeTransferSyntax(uid: string): string {
  const name = BY_UID.get(uid)?.name ?? KNOWN_UNSUPPORTED[uid];
  return name === undefined ? `${uid} (unknown transfer syntax)` : `${uid} (${name})`;
}

export function supportedTransferSyntaxes(): readonly TransferSyntax[] {
  return SUPPORTED;
}
