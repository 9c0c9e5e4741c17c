/** Asking before a destructive command (prune without -f), as podman does. */
import { createInterface } from 'node:readline';

/** Write `question` to stdout and read one line of stdin; true for y or yes (any case). EOF is no. */
export async function confirm(question: string): Promise<boolean> {
  process.stdout.write(question);
  const answer = await new Promise<string>((res) => {
    const rl = createInterface({ input: process.stdin });
    let got = '';
    rl.once('line', (l) => { got = l; rl.close(); });
    rl.once('close', () => res(got));
  });
  return /^y(es)?$/i.test(answer.trim());
}
