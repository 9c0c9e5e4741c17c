/**
 * `wasmvisor tag IMAGE NAME...` adds names to an image; `wasmvisor untag
 * IMAGE [NAME...]` removes them (all of the image's names when none is
 * given). The content stays: an image whose last name goes keeps a name by
 * digest (`REPOSITORY@sha256:…`, listed with tag `<none>`, as podman keeps
 * a dangling image) until `rmi` or `system prune -a`.
 */
import type { Command } from 'commander';
import { findImage } from '../../image/content/manifest_store.js';
import { splitName } from '../../image/content/manifest_inspect.js';
import { parseReference } from '../../image/reference/reference.js';
import { storeFromCommand } from '../registry_setup.js';
import { CliExit, ExitCode } from '../exit.js';

/** A name as the store keeps it; a bad one is one line, exit 125. */
function normalise(name: string): string {
  try {
    return parseReference(name).toString();
  } catch (err) {
    const msg = (err as Error).message;
    // the reference parser's message already names the reference: do not say it twice
    throw new CliExit(ExitCode.RUNTIME, msg.includes(JSON.stringify(name)) ? msg : `invalid image name ${JSON.stringify(name)}: ${msg}`);
  }
}

/** Register `tag` and `untag`. */
export function register(program: Command): void {
  program.command('tag')
    .description('add names to an image')
    .argument('<image>', 'image name or ID')
    .argument('<names...>', 'new names (REPOSITORY[:TAG]; the tag defaults to latest)')
    .action(async (image: string, names: string[], _o: unknown, c: Command) => {
      const store = await storeFromCommand(c);
      const targets = names.map(normalise);
      const rec = await findImage(store, image);
      for (const t of targets) await store.images.put(t, rec.target, rec.labels);
    });
  program.command('untag')
    .description('remove names from an image (all its names if none is given); the image stays, by digest, until rmi or system prune -a')
    .argument('<image>', 'image name or ID')
    .argument('[names...]', 'names to remove')
    .action(async (image: string, names: string[], _o: unknown, c: Command) => {
      const store = await storeFromCommand(c);
      const rec = await findImage(store, image);
      const all = (await store.images.list()).filter((r) => r.target.digest === rec.target.digest);
      const drop = names.length === 0 ? all.filter((r) => splitName(r.name).tag !== '<none>').map((r) => r.name) : names.map(normalise);
      for (const n of drop) {
        if (!all.some((r) => r.name === n)) throw new CliExit(ExitCode.RUNTIME, `${n}: not a name of image ${image} (see wasmvisor images)`);
      }
      const keep = all.filter((r) => !drop.includes(r.name));
      if (keep.length === 0) {
        // the last name goes: keep the image reachable by digest, as podman keeps a dangling image
        const repo = splitName(rec.name).repository;
        await store.images.put(`${repo}@${rec.target.digest}`, rec.target, rec.labels);
      }
      for (const n of drop) await store.images.delete(n);
    });
}
