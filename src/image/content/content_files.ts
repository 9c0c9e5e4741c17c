/**
 * The filesystem primitives the content store is built on, shared with the
 * rest of the image store (names, leases, snapshots, credentials):
 * {@link writeFileAtomic} (a file appears whole or not at all),
 * {@link tryLock} (a lock file holding its owner's pid, taken over from a
 * dead owner) and {@link pidAlive} (is that owner still there).
 */
import { promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';

/** Write `data` to `file` atomically: a temporary sibling, then rename. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fh = await fsp.open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

/** True if a process with `pid` is alive on this host (the owner of a lock, a lease or a temporary directory). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take the lock file `file`, holding our pid; resolves to false if a live
 * process holds it. The lock appears with its content at once (a hard link
 * of a written temporary file). A lock whose owner is dead is taken over
 * under a second lock (`FILE.takeover`), so that two processes cannot both
 * take it over.
 */
export async function tryLock(file: string): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await fsp.writeFile(tmp, String(process.pid));
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await fsp.link(tmp, file);
        return true;
      } catch (err) {
        const code = errCode(err);
        if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
          // a filesystem without hard links: exclusive create instead
          try {
            await fsp.writeFile(file, String(process.pid), { flag: 'wx' });
            return true;
          } catch (e2) {
            if (errCode(e2) !== 'EEXIST') throw e2;
          }
        } else if (code !== 'EEXIST') {
          throw err;
        }
      }
      const owner = await fsp.readFile(file, 'utf8').catch(() => undefined);
      if (owner === undefined) continue; // released meanwhile: try again
      if (pidAlive(Number(owner))) return false;
      // the owner is dead: take over, one process at a time
      const takeover = `${file}.takeover`;
      try {
        await fsp.link(tmp, takeover);
      } catch (err) {
        if (errCode(err) !== 'EEXIST') throw err;
        const other = await fsp.readFile(takeover, 'utf8').catch(() => undefined);
        if (other !== undefined && !pidAlive(Number(other))) await fsp.rm(takeover, { force: true });
        return false;
      }
      try {
        if ((await fsp.readFile(file, 'utf8').catch(() => undefined)) === owner) {
          await fsp.rename(tmp, file); // atomically replaces the dead owner's lock
          return true;
        }
      } finally {
        await fsp.rm(takeover, { force: true });
      }
    }
    return false;
  } finally {
    await fsp.rm(tmp, { force: true });
  }
}

/** The `code` of a Node filesystem error (`ENOENT`, …), if it has one. */
export function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}
