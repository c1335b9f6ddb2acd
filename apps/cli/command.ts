import { InputError } from "../../src/index.js";

/** One `medadapt` subcommand. Each lives in its own file under commands/ and is listed in commands/index.ts. */
export interface Command {
  name: string;
  /** One line for `medadapt --help`. */
  summary: string;
  /** Full usage text for `medadapt NAME --help`. */
  usage: string;
  /** Returns the process exit code. Throws InputError for bad input (reported as one line, exit 2). */
  run(argv: string[]): Promise<number>;
}

/** The one PATH a command takes (info, series, tensors); anything else is an input error. */
export function onePath(positionals: readonly string[]): string {
  if (positionals.length !== 1) throw new InputError(`expected one PATH, got ${positionals.length}`);
  return positionals[0]!;
}

/** For commands that take options only (eval, predict, train): a stray argument is an input error. */
export function noPositionals(positionals: readonly string[]): void {
  if (positionals.length > 0) throw new InputError(`unexpected argument '${positionals[0]}' (see --help)`);
}
