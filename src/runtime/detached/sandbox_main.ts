/** Entry of a detached container's sandbox process (see sandbox_process.ts). */
import { sandboxMain, type SandboxArgs } from './sandbox_process.js';

void sandboxMain(JSON.parse(process.argv[2] ?? '{}') as SandboxArgs);
