import { parseArgs } from "node:util";
import { listDicomSeries } from "../../../src/index.js";
import { type Command, onePath } from "../command.js";
import { formatTable } from "../format.js";

const USAGE = `usage: medadapt series PATH [--json]

Lists the DICOM series under PATH (a file, a folder or a folder tree) from their headers, without
decoding pixels: SeriesInstanceUID, modality, description, files, slices, size (columns × rows ×
slices of the largest volume), how many volumes the series reads as (more than one when it mixes
orientations, sizes or echoes) and the transfer syntaxes. Pick one for info/convert with
--series UID.

options:
  --json   one JSON object on stdout: {path, series: [{uid, description, modality, seriesNumber,
           files, slices, volumes, size, transferSyntaxes}]}
`;

export const series: Command = {
  name: "series",
  summary: "list the DICOM series in a file or folder tree (headers only)",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { json: { type: "boolean", default: false } },
      allowPositionals: true,
    });
    const path = onePath(positionals);
    const list = await listDicomSeries(path);
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ path, series: list })}\n`);
      return 0;
    }
    const rows = list.map((s) => [
      s.uid,
      s.modality ?? "",
      s.description ?? "",
      String(s.files),
      String(s.slices),
      s.size.join("×"),
      String(s.volumes),
    ]);
    const head = ["series UID", "modality", "description", "files", "slices", "size", "volumes"];
    process.stdout.write(`${path}: ${list.length} series\n${formatTable([head, ...rows]).join("\n")}\n`);
    return 0;
  },
};
