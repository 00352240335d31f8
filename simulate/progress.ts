/**
 * A one-line progress bar on stderr. Hand-rolled (a dozen lines) rather than a dependency: it only
 * needs a carriage return, and it stays silent when stderr is not a terminal, so logs and CI output
 * are not filled with redraws.
 */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): (done: number, total: number) => void {
  if (!stream.isTTY) return () => undefined;
  let last = -1;
  return (done, total) => {
    const width = 30;
    const filled = Math.round((done / Math.max(1, total)) * width);
    if (filled === last && done !== total) return;
    last = filled;
    stream.write(`\r${label} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${done}/${total}`);
    if (done === total) stream.write('\n');
  };
}
