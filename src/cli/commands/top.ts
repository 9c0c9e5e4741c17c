/**
 * `wasmvisor top CONTAINER [DESCRIPTOR...]`: the processes of a running
 * detached container, from its pid namespace (pids as the container sees
 * them), with podman's default columns or the AIX descriptors given
 * (user, pid, ppid, args, comm, etime, pcpu, time, tty).
 */
import type { Command } from 'commander';
import { containerTop } from '../../runtime/lifecycle/top.js';
import { CliExit, ExitCode } from '../exit.js';
import { printTable } from '../table.js';
import { containersRoot, findContainer } from '../containers/store.js';
import { requireDetached } from '../containers/foreground.js';
import { humanDuration } from './ps.js';
import type { TopProcess } from '../../runtime/detached/exec_module.js';

const COLUMNS: Record<string, { head: string; cell: (p: TopProcess, now: number) => string }> = {
  user: { head: 'USER', cell: (p) => (p.user === '0' ? 'root' : p.user) },
  pid: { head: 'PID', cell: (p) => String(p.pid) },
  ppid: { head: 'PPID', cell: () => '0' },
  pcpu: { head: '%CPU', cell: () => '--' },
  etime: { head: 'ELAPSED', cell: (p, now) => humanDuration(now - Date.parse(p.started)) },
  tty: { head: 'TTY', cell: () => '?' },
  time: { head: 'TIME', cell: () => '--' },
  args: { head: 'COMMAND', cell: (p) => p.args.join(' ') },
  comm: { head: 'COMMAND', cell: (p) => (p.args[0] ?? '').split('/').pop() ?? '' },
};

/** Register `top`. */
export function register(program: Command): void {
  program.command('top')
    .description('show the processes of a running container')
    .argument('<container>', 'id, unique id prefix, or name')
    .argument('[descriptors...]', `columns: ${Object.keys(COLUMNS).join(', ')} (default: user pid ppid pcpu etime tty time args)`)
    .addHelpText('after', `
PIDs are the container's own (its init is 1). PPID is shown as 0 (every
process was started by the sandbox); %CPU and TIME are "--" (not measured
per process).

Exit status: 0; 125 if the container does not exist or is not running, or a
descriptor is unknown.`)
    .action(async (ref: string, descriptors: string[], _f: unknown, c: Command) => {
      const cols = descriptors.length > 0 ? descriptors : ['user', 'pid', 'ppid', 'pcpu', 'etime', 'tty', 'time', 'args'];
      for (const d of cols) if (!(d in COLUMNS)) throw new CliExit(ExitCode.RUNTIME, `unknown top descriptor ${JSON.stringify(d)}: use ${Object.keys(COLUMNS).join(', ')}`);
      const root = containersRoot(c);
      const st = findContainer(root, ref);
      if (st.status !== 'running' && st.status !== 'paused') throw new CliExit(ExitCode.RUNTIME, `container ${ref} is not running (it is ${st.status === 'stopped' ? 'exited' : st.status}): top needs a running container`);
      requireDetached(st, ref, 'top');
      const now = Date.now();
      const procs = await containerTop(root, st.id);
      printTable([cols.map((d) => COLUMNS[d]!.head), ...procs.map((p) => cols.map((d) => COLUMNS[d]!.cell(p, now)))]);
    });
}
