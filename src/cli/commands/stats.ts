/**
 * `wasmvisor stats [--no-stream] [--format F] [-a] [CONTAINER...]`: the
 * cgroup figures of running containers (memory.current against memory.max,
 * pids.current), with podman's columns, template fields (ID, Name, CPUPerc,
 * MemUsage, MemPerc, NetIO, BlockIO, PIDs, CPU, AvgCPU, UpTime) and json
 * keys. A figure the runtime does not measure (the CPU and I/O controllers,
 * when a build lacks them; network I/O; anything of a foreground container,
 * which has no control socket) is shown as `--`. Without --no-stream the
 * figures are printed again every interval, redrawn in place on a terminal.
 */
import { totalmem } from 'node:os';
import type { Command } from 'commander';
import { containerStats, type ContainerStats } from '../../runtime/lifecycle/stats.js';
import { listStates, type RuncState } from '../../runtime/detached/state.js';
import { CliExit, ExitCode } from '../exit.js';
import { isGoTemplate, printFormatted } from '../go_template.js';
import { containersRoot, findContainer, nameOf } from '../containers/store.js';
import { isForeground } from '../containers/foreground.js';
import { humanDuration } from './ps.js';

/** podman's template fields of one stats row. */
export const STATS_FIELDS = ['ID', 'Name', 'CPUPerc', 'MemUsage', 'MemUsageBytes', 'MemPerc', 'NetIO', 'BlockIO', 'PIDs', 'CPU', 'AvgCPU', 'UpTime'] as const;

const NONE = '--';

/** A size as podman prints it (decimal units, 4 significant digits): `1.049MB`. */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}

/** One sample: the figures and when they were taken. */
interface Sample {
  st: RuncState;
  stats?: ContainerStats;
  at: number;
}

/** One row as a template sees it, and as json prints it (podman's keys). */
function rows(s: Sample, prev: Sample | undefined): { t: Record<string, unknown>; j: Record<string, unknown> } {
  const limit = s.stats ? (s.stats.memoryMax ?? totalmem()) : undefined;
  const mem = s.stats?.memoryCurrent;
  const cpuUsec = s.stats?.cpu?.usageUsec;
  const prevCpu = prev?.stats?.cpu?.usageUsec;
  const upMs = s.at - Date.parse(s.st.created);
  const perc = (x: number) => `${x.toFixed(2)}%`;
  const cpuPerc = cpuUsec === undefined ? NONE
    : prev && prevCpu !== undefined && s.at > prev.at ? perc(((cpuUsec - prevCpu) / 1000 / (s.at - prev.at)) * 100)
      : perc(upMs > 0 ? (cpuUsec / 1000 / upMs) * 100 : 0);
  const avgCpu = cpuUsec === undefined ? NONE : perc(upMs > 0 ? (cpuUsec / 1000 / upMs) * 100 : 0);
  const rd = s.stats?.io?.rbytes;
  const wr = s.stats?.io?.wbytes;
  const t = {
    ID: s.st.id.slice(0, 12),
    Name: nameOf(s.st),
    CPUPerc: cpuPerc,
    MemUsage: mem === undefined ? NONE : `${humanSize(mem)} / ${humanSize(limit!)}`,
    MemUsageBytes: mem === undefined ? NONE : `${mem} / ${limit}`,
    MemPerc: mem === undefined ? NONE : perc((mem / limit!) * 100),
    NetIO: NONE,
    BlockIO: rd === undefined || wr === undefined ? NONE : `${humanSize(rd)} / ${humanSize(wr)}`,
    PIDs: s.stats ? String(s.stats.pidsCurrent) : NONE,
    CPU: cpuUsec === undefined ? NONE : `${(cpuUsec / 1e6).toFixed(6)}s`,
    AvgCPU: avgCpu,
    UpTime: humanDuration(upMs),
  };
  const j = {
    id: t.ID, name: t.Name, cpu_time: t.CPU, cpu_percent: t.CPUPerc, avg_cpu: t.AvgCPU, mem_usage: t.MemUsage, mem_percent: t.MemPerc,
    net_io: t.NetIO, block_io: t.BlockIO, pids: t.PIDs,
  };
  return { t, j };
}

async function sample(root: string, st: RuncState): Promise<Sample> {
  if (isForeground(st)) return { st, at: Date.now() };
  try {
    return { st, stats: await containerStats(root, st.id), at: Date.now() };
  } catch {
    return { st, at: Date.now() }; // it stopped meanwhile
  }
}

/** Register `stats`. */
export function register(program: Command): void {
  program.command('stats')
    .description('show the cgroup figures (memory, pids; cpu and I/O where measured) of running containers')
    .argument('[containers...]', 'ids, unique id prefixes, or names (default: every running container)')
    .option('-a, --all', 'every container, not only the running ones (stopped ones show --)')
    .option('--no-stream', 'print the figures once and exit')
    .option('-i, --interval <seconds>', 'seconds between two samples while streaming', '5')
    .option('--no-reset', 'when streaming on a terminal, do not clear the screen between samples')
    .option('--format <format>', `table (default), json, or a Go template over ${STATS_FIELDS.join(', ')}`)
    .addHelpText('after', `
A figure that is not measured is shown as "--": network I/O (containers have
no network of their own here), CPU and block I/O when the controllers give
none, and every figure of a foreground container (run without -d: no
control socket to ask). MEM USAGE / LIMIT is memory.current against
memory.max (the host's memory when there is no limit).

Exit status: 0; 125 if a container does not exist or the format is bad.`)
    .action(async (refs: string[], f: { all?: boolean; stream: boolean; interval: string; reset: boolean; format?: string }, c: Command) => {
      const root = containersRoot(c);
      if (!/^\d+$/.test(f.interval) || Number(f.interval) < 1) throw new CliExit(ExitCode.RUNTIME, `invalid --interval ${f.interval}: give whole seconds, 1 or more`);
      if (f.format !== undefined && f.format !== 'json' && f.format !== 'table' && !isGoTemplate(f.format)) {
        throw new CliExit(ExitCode.RUNTIME, `invalid --format ${f.format}: use table, json, or a Go template such as '{{.Name}} {{.MemUsage}}'`);
      }
      const pick = (): RuncState[] => refs.length > 0 ? refs.map((r) => findContainer(root, r))
        : listStates(root).filter((s) => f.all === true || s.status === 'running' || s.status === 'paused');
      for (const [i, st] of (refs.length > 0 ? pick() : []).entries()) {
        if (st.status === 'stopped' && !f.all) throw new CliExit(ExitCode.RUNTIME, `container ${refs[i]} is not running (it exited): stats shows running containers`);
      }
      const tty = process.stdout.isTTY === true && f.stream;
      let prev = new Map<string, Sample>();
      for (;;) {
        const samples = await Promise.all(pick().map((st) => sample(root, st)));
        const out = samples.map((s) => rows(s, prev.get(s.st.id)));
        if (tty && f.reset) process.stdout.write('\x1b[2J\x1b[H');
        if (f.format === 'json') process.stdout.write(`${JSON.stringify(out.map((o) => o.j), null, 2)}\n`);
        else {
          const format = f.format === undefined || f.format === 'table'
            ? 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}\t{{.CPU}}\t{{.AvgCPU}}' : f.format;
          printFormatted(format, out.map((o) => o.t), STATS_FIELDS, { CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %', NetIO: 'NET IO', BlockIO: 'BLOCK IO', CPU: 'CPU TIME', AvgCPU: 'AVG CPU %', PIDs: 'PIDS' });
        }
        if (!f.stream) return;
        prev = new Map(samples.map((s) => [s.st.id, s]));
        await new Promise((r) => setTimeout(r, Number(f.interval) * 1000));
      }
    });
}
