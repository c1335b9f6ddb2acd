import { parseArgs } from "node:util";
import { nn } from "../../../src/index.js";
import type { Command } from "../command.js";
import { formatTable } from "../format.js";

const USAGE = `usage: medadapt models [--json]

Lists the backbone architectures medadapt knows, with parameter counts computed from their
configs, and the parameters the default adapters add: LoRA r = 8 on the attention q and v
projections, MoLRE K = 4 experts of rank 4 on q and v (plus a K × d_in router per layer).
Fractions above 0.5 % are flagged (MoLRE's budget, METHODS.md §1).

options:
  --json   one JSON object: {models: [{name, source, arch, input, params, adapted_layers,
           lora: {params, fraction}, molre: {params, fraction}}]}
`;

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n);
}

function pct(f: number): string {
  return `${(100 * f).toFixed(3)}%${f > 0.005 ? " !" : ""}`;
}

export const models: Command = {
  name: "models",
  summary: "list known backbones with parameter counts and default adapter fractions",
  usage: USAGE,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { json: { type: "boolean", default: false } },
      strict: true,
    });
    const rows = nn.KNOWN_BACKBONES.map((k) => {
      const m = k.build();
      const params = m.parameterCount();
      const b = nn.adapterBudget(m);
      return {
        name: k.name,
        source: k.source,
        arch: k.arch,
        input: k.input,
        params,
        adapted_layers: b.layers,
        lora: { params: b.lora, fraction: b.lora / params },
        molre: { params: b.molre, fraction: b.molre / params },
      };
    });
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ models: rows })}\n`);
      return 0;
    }
    const table = [
      ["name", "arch", "params", "input", "LoRA r8 q,v", "MoLRE K4 r4 q,v", "source"],
      ...rows.map((r) => [
        r.name,
        r.arch,
        fmt(r.params),
        r.input,
        r.adapted_layers ? `${fmt(r.lora.params)} (${pct(r.lora.fraction)})` : "n/a",
        r.adapted_layers ? `${fmt(r.molre.params)} (${pct(r.molre.fraction)})` : "n/a",
        r.source,
      ]),
    ];
    for (const line of formatTable(table)) process.stdout.write(`${line}\n`);
    process.stdout.write("! = above the 0.5 % budget\n");
    return 0;
  },
};
