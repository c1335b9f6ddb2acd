import { InputError } from "../../src/index.js";
import { commands } from "./commands/index.js";

const HELP_FOOTER = "medadapt is research software, not a medical device.";

function printHelp(): void {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  process.stdout.write(
    `usage: medadapt <command> [options]\n\ncommands:\n${lines.join("\n")}\n\n` +
      `Run 'medadapt <command> --help' for a command's options.\n${HELP_FOOTER}\n`,
  );
}

/** Runs the CLI and returns the exit code; never throws. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    printHelp();
    return name === undefined ? 1 : 0;
  }
  if (name === "--version") {
    const { createRequire } = await import("node:module");
    const pkg = createRequire(import.meta.url)("../../../package.json") as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`medadapt: unknown command '${name}' (see 'medadapt --help')\n`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(`${command.usage.trimEnd()}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof InputError || isArgError(err)) {
      process.stderr.write(`medadapt ${name}: ${oneLine((err as Error).message)}\n`);
      return 2;
    }
    const e = err as Error;
    process.stderr.write(`medadapt ${name}: internal error: ${oneLine(e?.message ?? String(err))}\n`);
    if (process.env.MEDADAPT_DEBUG) process.stderr.write(`${e?.stack}\n`);
    return 1;
  }
}

/** node:util parseArgs reports bad flags with these codes. */
function isArgError(err: unknown): boolean {
  const code = (err as { code?: string })?.code ?? "";
  return code.startsWith("ERR_PARSE_ARGS");
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ").trim();
}
