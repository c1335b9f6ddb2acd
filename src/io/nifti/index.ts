export { DEFAULT_MAX_VOXELS, decodeNifti, type NiftiInfo, type ReadNiftiOptions, readNifti } from "./read.js";
export { encodeNifti, type WriteNiftiOptions, writeNifti } from "./write.js";
