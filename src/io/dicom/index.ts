export { listDicomSeries, type ReadDicomOptions, readDicom, type SeriesSummary } from "./read.js";
export { isDicomFile } from "./sniff.js";
export { supportedTransferSyntaxes, type TransferSyntax } from "./transfer-syntax.js";
