export { DTYPES, type SafetensorsDType, type Tensor, type TensorArray } from "./dtype.js";
export { bf16ToFloat32, f16ToFloat32, float32ToBF16, float32ToF16, toFloat32 } from "./half.js";
export { MAX_HEADER_BYTES, type SafetensorsHeader, type TensorInfo } from "./header.js";
export {
  type DecodedSafetensors,
  decodeSafetensors,
  type ReadSafetensorsOptions,
  readSafetensors,
  SafetensorsFile,
} from "./reader.js";
export { readSafetensorsIndex, ShardedSafetensors } from "./sharded.js";
export { encodeSafetensors, type TensorInput, type TensorsInput, writeSafetensors } from "./writer.js";
