/**
 * Encapsulated pixel data (PS3.5 A.4): a Basic Offset Table item, then fragment items, then a
 * sequence delimiter. Parsed here from item headers only, so a truncated file is caught before
 * any decoder sees it, and frames are assembled without copying the whole element.
 */

export interface Fragment {
  /** Absolute byte offset of the fragment's data in the file. */
  readonly offset: number;
  readonly length: number;
}

export interface Encapsulated {
  readonly offsetTable: readonly number[];
  readonly fragments: readonly Fragment[];
}

const ITEM = 0xe000;
const SEQUENCE_DELIMITER = 0xe0dd;

/** Parses items starting at `start` (the pixel element's value); throws an Error describing truncation. */
export function parseEncapsulated(bytes: Uint8Array, start: number): Encapsulated {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const items: Fragment[] = [];
  let pos = start;
  for (;;) {
    if (pos + 8 > bytes.length)
      throw new Error("pixel data ends before its sequence delimiter (truncated file)");
    const group = view.getUint16(pos, true);
    const element = view.getUint16(pos + 2, true);
    const length = view.getUint32(pos + 4, true);
    pos += 8;
    if (group !== 0xfffe)
      throw new Error(`unexpected tag (${hex(group)},${hex(element)}) inside encapsulated pixel data`);
    if (element === SEQUENCE_DELIMITER) break;
    if (element !== ITEM)
      throw new Error(`unexpected tag (FFFE,${hex(element)}) inside encapsulated pixel data`);
    if (length === 0xffffffff) throw new Error("fragment with undefined length in encapsulated pixel data");
    if (pos + length > bytes.length)
      throw new Error(
        `pixel data fragment of ${length} bytes runs past the end of the file (truncated file)`,
      );
    items.push({ offset: pos, length });
    pos += length;
  }
  if (items.length === 0) throw new Error("encapsulated pixel data has no Basic Offset Table item");
  const bot = items[0]!;
  const offsetTable: number[] = [];
  for (let p = bot.offset; p + 4 <= bot.offset + bot.length; p += 4)
    offsetTable.push(view.getUint32(p, true));
  return { offsetTable, fragments: items.slice(1) };
}

function hex(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, "0");
}

/**
 * Groups fragments into frames. With one frame, every fragment belongs to it; with one fragment
 * per frame, the mapping is direct; otherwise the offset table decides, and without one the start
 * of each codestream (JPEG SOI / JPEG 2000 SOC or JP2 signature) marks a new frame.
 */
export function framesOf(bytes: Uint8Array, enc: Encapsulated, frames: number): Fragment[][] {
  const { fragments, offsetTable } = enc;
  if (frames === 1) return [fragments.slice()];
  if (fragments.length === frames) return fragments.map((f) => [f]);
  const out: Fragment[][] = [];
  if (offsetTable.length === frames) {
    // Offsets are relative to the first fragment's item tag, i.e. 8 bytes before its data.
    const base = fragments.length > 0 ? fragments[0]!.offset - 8 : 0;
    for (let f = 0; f < frames; f++) {
      const from = base + offsetTable[f]!;
      const to = f + 1 < frames ? base + offsetTable[f + 1]! : Number.POSITIVE_INFINITY;
      out.push(fragments.filter((fr) => fr.offset - 8 >= from && fr.offset - 8 < to));
    }
    return out;
  }
  for (const fr of fragments) {
    if (out.length === 0 || startsCodestream(bytes, fr.offset)) out.push([fr]);
    else out[out.length - 1]!.push(fr);
  }
  return out;
}

function startsCodestream(b: Uint8Array, at: number): boolean {
  if (b[at] !== 0xff) return b[at] === 0x00 && b[at + 1] === 0x00 && b[at + 2] === 0x00 && b[at + 3] === 0x0c;
  return b[at + 1] === 0xd8 || b[at + 1] === 0x4f;
}

/** The bytes of one frame, copied only when it spans several fragments. */
export function frameBytes(bytes: Uint8Array, parts: readonly Fragment[]): Uint8Array {
  if (parts.length === 1) return bytes.subarray(parts[0]!.offset, parts[0]!.offset + parts[0]!.length);
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(bytes.subarray(p.offset, p.offset + p.length), at);
    at += p.length;
  }
  return out;
}
