/** On a terminal, a self-erasing "LABEL 42%" line on stderr; undefined otherwise (logs, tests, pipes). */
export function terminalProgress(label: string): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = -1;
  return (done, total) => {
    const pct = total > 0 ? Math.floor((100 * done) / total) : 0;
    if (pct === last) return;
    last = pct;
    process.stderr.write(pct >= 100 ? "\r\x1b[K" : `\r${label} ${pct}%`);
  };
}
