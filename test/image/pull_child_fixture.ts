/** Run by pull_killed.test.ts in a child process (vite-node): pull argv[3] into the store at argv[2]. */
import { pullImage } from '../../src/image/registry/pull.js';
import { RegistryClient } from '../../src/image/registry/registry.js';
import { openStore } from '../../src/image/content/store_root.js';

const [root, ref] = process.argv.slice(2);
const store = await openStore(root);
await pullImage(store, ref, { client: new RegistryClient({}) });
process.stdout.write('done\n');
