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
