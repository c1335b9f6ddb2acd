/** Element types the engine's graphs carry (ONNX names, as onnxruntime-js spells them). */
export type DType = "float32" | "float64" | "int64" | "bool";

export type TypedArrayFor<D extends DType> = D extends "float32"
  ? Float32Array
  : D extends "float64"
    ? Float64Array
    : D extends "int64"
      ? BigInt64Array
      : Uint8Array;

export type AnyTypedArray = Float32Array | Float64Array | BigInt64Array | Uint8Array;

/** ONNX TensorProto.DataType codes. */
export const onnxTypeCode: Record<DType, number> = { float32: 1, float64: 11, int64: 7, bool: 9 };

export const dtypeOfOnnxCode: Record<number, DType> = { 1: "float32", 11: "float64", 7: "int64", 9: "bool" };

export const bytesPerElement: Record<DType, number> = { float32: 4, float64: 8, int64: 8, bool: 1 };

export function isFloat(d: DType): boolean {
  return d === "float32" || d === "float64";
}

/** A typed array of `dtype` holding `values` (numbers; bools as 0/1). */
export function typedArray(dtype: DType, values: ArrayLike<number> | number): AnyTypedArray {
  const n = typeof values === "number" ? values : values.length;
  const src = typeof values === "number" ? undefined : values;
  switch (dtype) {
    case "float32":
      return src ? Float32Array.from(src) : new Float32Array(n);
    case "float64":
      return src ? Float64Array.from(src) : new Float64Array(n);
    case "int64": {
      const a = new BigInt64Array(n);
      if (src) for (let i = 0; i < n; i++) a[i] = BigInt(Math.trunc(src[i] as number));
      return a;
    }
    case "bool":
      return src ? Uint8Array.from(src, (v) => (v ? 1 : 0)) : new Uint8Array(n);
  }
}

export function dtypeOfArray(a: AnyTypedArray): DType {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof BigInt64Array) return "int64";
  return "bool";
}
