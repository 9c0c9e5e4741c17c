/**
 * `wasmvisor logs [-f] CONTAINER`: what a detached container wrote to its
 * stdout and stderr (`STORE/containers/ID/ctr.log`); -f follows until it
 * exits.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { nodeConsoleSink } from '../../host/node_host.js';
import { containersRoot, findContainer, LOG_FILE, reload } from '../containers/store.js';

/** Copy `path` from `offset` to stdout; resolves with the new offset. */
function copyFrom(path: string, offset: number, out: { write(b: Uint8Array): void }): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return offset; // removed meanwhile (rm, --rm)
  }
  try {
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, offset);
      if (n <= 0) return offset;
      out.write(buf.subarray(0, n));
      offset += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** Register `logs`. */
export function register(program: Command): void {
  program.command('logs')
    .description('print the output (stdout and stderr) of a detached container')
    .argument('<container>', 'id, unique id prefix, or name')
    .option('-f, --follow', 'keep printing new output until the container exits')
    .action(async (ref: string, f: { follow?: boolean }, c: Command) => {
      const root = containersRoot(c);
      const st = findContainer(root, ref);
      const path = join(root, st.id, LOG_FILE);
      const out = nodeConsoleSink(1);
      let offset = copyFrom(path, 0, out);
      if (!f.follow) return;
      for (;;) {
        const now = reload(root, st.id);
        offset = copyFrom(path, offset, out);
        if (!now || now.status === 'stopped') return; // read once more after it stopped: nothing is lost
        await new Promise((r) => setTimeout(r, 100));
      }
    });
}
