/**
 * Errors a user can act on: bad files, bad arguments, unsupported data.
 *
 * The CLI prints `message` as one line on stderr and exits with code 2, so the message must name
 * the file (when there is one) and the problem, and never rely on a stack trace.
 */
export class InputError extends Error {
  override readonly name = "InputError";
  /** The file or argument the problem is about, when there is one. */
  readonly source: string | undefined;

  constructor(problem: string, source?: string) {
    super(source === undefined ? problem : `${source}: ${problem}`);
    this.source = source;
  }
}

/** Narrowing helper: throws an InputError when `cond` is false. */
export function check(cond: unknown, problem: string, source?: string): asserts cond {
  if (!cond) throw new InputError(problem, source);
}
