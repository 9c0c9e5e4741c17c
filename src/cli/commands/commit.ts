/**
 * `wasmvisor commit [-a AUTHOR] [-m MSG] [-c CHANGE] [-q] CONTAINER [IMAGE]`:
 * a container's writable layer (running, or kept since it exited) becomes one new layer on its image
 * (the OCI changeset: whiteouts for deletions; src/image/build/'s
 * upperEntries and commitLayer), named IMAGE; prints the new image's id.
 */
import { readFileSync, rmSync } from 'node:fs';
import type { Command } from 'commander';
import { CommitError, commitLayer } from '../../image/build/commit_layer.js';
import { pauseContainer, resumeContainer } from '../../runtime/lifecycle/pause.js';
import { containerLayer } from '../../runtime/lifecycle/top.js';
import { CliExit, ExitCode } from '../exit.js';
import { storeFromCommand } from '../registry_setup.js';
import { collect } from '../options.js';
import { Annotation, containersRoot, findContainer } from '../containers/store.js';
import { requireDetached } from '../containers/foreground.js';
import { RECREATE_FILE, type Recreate } from '../containers/recreate.js';

/** A JSON array or a plain string split on spaces, as podman's --change takes CMD and ENTRYPOINT. */
function words(v: string): string[] {
  if (v.trim().startsWith('[')) {
    try {
      const a = JSON.parse(v) as unknown;
      if (Array.isArray(a) && a.every((x) => typeof x === 'string')) return a as string[];
    } catch {
      // fall through to the error
    }
    throw new CliExit(ExitCode.RUNTIME, `invalid --change value ${v}: not a JSON array of strings`);
  }
  return v.split(/\s+/).filter(Boolean);
}

/** `--change` instructions (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL) as config settings. */
export function parseChanges(changes: readonly string[]): { cmd?: string[]; entrypoint?: string[]; env?: string[]; workdir?: string; user?: string; labels?: Record<string, string> } {
  const out: ReturnType<typeof parseChanges> = {};
  for (const c of changes) {
    const m = /^\s*(\w+)[\s=]+(.*)$/s.exec(c);
    if (!m) throw new CliExit(ExitCode.RUNTIME, `invalid --change ${JSON.stringify(c)}: expected INSTRUCTION VALUE, e.g. CMD ["/app.wasm"]`);
    const v = m[2]!.trim();
    switch (m[1]!.toUpperCase()) {
      case 'CMD': out.cmd = words(v); break;
      case 'ENTRYPOINT': out.entrypoint = words(v); break;
      case 'ENV': out.env = [...(out.env ?? []), v.includes('=') ? v : v.replace(/\s+/, '=')]; break;
      case 'WORKDIR': out.workdir = v; break;
      case 'USER': out.user = v; break;
      case 'LABEL': {
        const eq = v.indexOf('=');
        out.labels = { ...(out.labels ?? {}), [eq < 0 ? v : v.slice(0, eq)]: eq < 0 ? '' : v.slice(eq + 1).replace(/^"(.*)"$/, '$1') };
        break;
      }
      default: throw new CliExit(ExitCode.RUNTIME, `invalid --change ${JSON.stringify(c)}: use CMD, ENTRYPOINT, ENV, WORKDIR, USER or LABEL`);
    }
  }
  return out;
}

/** Register `commit`. */
export function register(program: Command): void {
  program.command('commit')
    .description('make a new image from a container: its writable layer on top of its image')
    .argument('<container>', 'id, unique id prefix, or name')
    .argument('[image]', 'name of the new image (default: none; it is listed by id)')
    .option('-a, --author <author>', 'the image\'s author')
    .option('-m, --message <message>', 'comment of the new history entry')
    .option('-c, --change <instruction>', 'CMD, ENTRYPOINT, ENV, WORKDIR, USER or LABEL for the new image (repeatable)', collect, [])
    .option('-p, --pause', 'pause the container while its layer is read (the default: it is read between two system calls anyway)')
    .option('-q, --quiet', 'print only the image id (the default output here)')
    .option('--format <format>', 'oci (the default; docker is accepted and written as oci)')
    .addHelpText('after', `
The container must have run (its writable layer lives in its sandbox process,
and is kept on disk when it exits, until rm) and be made from an image (run
IMAGE, create IMAGE). Deleted image paths become
whiteouts; what the runtime itself made at creation (mount points,
/etc/hostname) is left out while unchanged.

Exit status: 0; 125 if the container does not exist, never started, or was
not made from an image, or the name or a change is invalid.`)
    .action(async (ref: string, image: string | undefined, f: { author?: string; message?: string; change: string[]; pause?: boolean; format?: string }, c: Command) => {
      if (f.format !== undefined && f.format !== 'oci' && f.format !== 'docker') throw new CliExit(ExitCode.RUNTIME, `invalid --format ${f.format}: use oci or docker`);
      const changes = parseChanges(f.change);
      const root = containersRoot(c);
      const st = findContainer(root, ref);
      if (st.status === 'created') throw new CliExit(ExitCode.RUNTIME, `container ${ref} is created: it has no writable layer until it starts (start it)`);
      requireDetached(st, ref, 'commit');
      let base: string | undefined;
      try {
        base = (JSON.parse(readFileSync(`${root}/${st.id}/${RECREATE_FILE}`, 'utf8')) as Recreate).image?.name;
      } catch {
        base = undefined;
      }
      if (base === undefined) throw new CliExit(ExitCode.RUNTIME, `container ${ref} runs ${st.annotations[Annotation.IMAGE] ?? 'a module'} from the host, not an image: commit builds on the container's image (make one with wasmvisor pack, then run it)`);
      const store = await storeFromCommand(c);
      const pause = f.pause === true && st.status === 'running';
      if (pause) await pauseContainer(root, st.id);
      let path: string;
      try {
        path = await containerLayer(root, st.id);
      } finally {
        if (pause) await resumeContainer(root, st.id);
      }
      try {
        const tar = readFileSync(path);
        const out = await commitLayer(store, {
          base, layer: new Uint8Array(tar.buffer, tar.byteOffset, tar.byteLength), createdBy: `wasmvisor commit ${ref}`, comment: f.message, author: f.author,
          tags: image === undefined ? [] : [image], ...changes,
        });
        process.stdout.write(`${out.manifest.digest.slice('sha256:'.length)}\n`);
      } catch (err) {
        if (err instanceof CommitError) throw new CliExit(ExitCode.RUNTIME, err.message);
        throw err;
      } finally {
        rmSync(path, { force: true });
      }
    });
}
