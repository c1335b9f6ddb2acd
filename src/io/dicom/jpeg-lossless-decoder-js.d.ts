// The package ships no declarations; this is the part medadapt calls.
declare module "jpeg-lossless-decoder-js" {
  export class Decoder {
    xDim: number;
    yDim: number;
    numComp: number;
    precision: number;
    decode(
      buffer?: ArrayBuffer,
      offset?: number,
      length?: number,
      numBytes?: number,
    ): ArrayBuffer | Uint8Array | Uint16Array;
  }
}
