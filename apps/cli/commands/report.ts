import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { InputError, readBenchResults, report } from "../../../src/index.js";
import { type Command, noPositionals } from "../command.js";

const USAGE = `usage: medadapt report --results results.json --out report.html [--json]

Renders the HTML report of a benchmark from its results.json (written by medadapt bench and
medadapt demo): summary table (mean AUC ± SD over seeds, CIs, parameters, DeLong p against the
baseline), per-run and per-finding tables, AUC bars, ROC curves, training curves and sample heat
maps. The file is self-contained (inline CSS and SVG, heat maps embedded), so it opens offline
and can be mailed or printed. See docs/report.md.

options:
  --results PATH  the bench's results.json; heat map paths in it are relative to its folder
  --out PATH      the HTML file to write (atomically)
  --json          print one JSON object: {"report", "bytes", "runs", "findings"}

Research software, not a medical device.
`;

export const reportCommand: Command = {
  name: "report",
  summary: "render a benchmark's results.json as one self-contained HTML report",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        results: { type: "string" },
        out: { type: "string" },
        json: { type: "boolean", default: false },
      },
      allowPositionals: true,
    });
    noPositionals(positionals);
    if (values.results === undefined) throw new InputError("--results results.json is required");
    if (values.out === undefined) throw new InputError("--out report.html is required");
    const results = await readBenchResults(values.results);
    const out = resolve(values.out);
    let html: string;
    try {
      html = await report.writeBenchReport(out, results, { baseDir: dirname(resolve(values.results)) });
    } catch (err) {
      throw new InputError(
        `cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        values.out,
      );
    }
    const summary = {
      report: out,
      bytes: Buffer.byteLength(html),
      runs: results.runs.length,
      findings: results.dataset.findings.length,
    };
    process.stdout.write(
      values.json ? `${JSON.stringify(summary)}\n` : `wrote ${out} (${summary.bytes} bytes)\n`,
    );
    return 0;
  },
};
