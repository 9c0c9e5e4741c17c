/**
 * `wasmvisor ps [-a] [-q] [--format json]`: detached containers (`run -d`)
 * as podman lists them: running ones, or all with -a.
 */
import { portsOf, portsText } from '../publish.js';
import type { Command } from 'commander';
import { listStates, type RuncState } from '../../runtime/detached/state.js';
import { CliExit, ExitCode } from '../exit.js';
import { printTable } from '../table.js';
import { isGoTemplate, printFormatted } from '../go_template.js';
import { stoppedExitCode } from '../../runtime/lifecycle/wait.js';
import { Annotation, containersRoot, nameOf } from '../containers/store.js';
import { labelsOf } from '../containers/labels.js';
import { PS_FILTER_KEYS, PS_SORT_KEYS, filterStates, sortStates } from '../containers/ps_select.js';
import { collect } from '../options.js';

/** A duration as podman words it ("5 seconds", "About a minute", "3 hours"). */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s < 60) return s === 1 ? '1 second' : `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.floor(m / 60);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  return `${Math.floor(h / 24)} days`;
}

/** podman's STATUS column: `Up 5 seconds`, `Exited (0) 3 seconds ago`, `Created`, `Paused`. */
export function statusText(st: RuncState, now = Date.now()): string {
  switch (st.status) {
    case 'created': return 'Created';
    case 'paused': return 'Paused';
    case 'running': return `Up ${humanDuration(now - Date.parse(st.created))}`;
    case 'stopped': {
      const ago = st.finished === undefined ? '' : ` ${humanDuration(now - Date.parse(st.finished))} ago`;
      return `Exited (${stoppedExitCode(st)})${ago}`;
    }
  }
}

function command(st: RuncState): string[] {
  try {
    return JSON.parse(st.annotations[Annotation.COMMAND] ?? '[]') as string[];
  } catch {
    return [];
  }
}

/** One container as `ps --format json` prints it (podman's field names). */
export function psRecord(st: RuncState, now = Date.now()): Record<string, unknown> {
  const state = st.status === 'stopped' ? 'exited' : st.status;
  return {
    Id: st.id,
    Names: [nameOf(st)],
    Image: st.annotations[Annotation.IMAGE] ?? '',
    Command: command(st),
    Created: Math.floor(Date.parse(st.created) / 1000),
    CreatedAt: st.created,
    State: state,
    Status: statusText(st, now),
    Exited: st.status === 'stopped',
    ExitCode: st.status === 'stopped' ? stoppedExitCode(st) : 0,
    ExitedAt: st.finished === undefined ? 0 : Math.floor(Date.parse(st.finished) / 1000),
    Pid: st.pid,
    AutoRemove: st.annotations['org.wasmvisor.autoremove'] === 'true',
    Labels: labelsOf(st),
    Ports: portsOf(st.annotations).map((p) => ({ host_ip: p.hostIp, container_port: p.containerPort, host_port: p.hostPort, range: 1, protocol: p.protocol })),
  };
}

/** Top-level fields of a `ps --format` template, as podman names them. */
export const PS_FIELDS = ['ID', 'Names', 'Image', 'Command', 'Status', 'State', 'CreatedAt', 'Created', 'RunningFor', 'Ports', 'Pid',
  'ExitCode', 'Exited', 'ExitedAt', 'Labels', 'AutoRemove', 'Mounts', 'Networks', 'Pod', 'PodName', 'Size'] as const;

/** One container as a `ps --format` Go template sees it (`ID` short unless `full`). */
export function psTemplateRecord(st: RuncState, full: boolean, now = Date.now()): Record<string, unknown> {
  const j = psRecord(st, now);
  const ago = `${humanDuration(now - Date.parse(st.created))} ago`;
  const record: Record<(typeof PS_FIELDS)[number], unknown> = {
    ID: full ? st.id : st.id.slice(0, 12), Names: nameOf(st), Image: j.Image, Command: command(st).join(' '), Status: j.Status, State: j.State,
    CreatedAt: `${new Date(st.created).toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`, Created: ago, RunningFor: ago, Ports: portsText(st.annotations),
    Pid: j.Pid, ExitCode: j.ExitCode, Exited: j.Exited, ExitedAt: j.ExitedAt, Labels: labelsOf(st), AutoRemove: j.AutoRemove, Mounts: [], Networks: [],
    Pod: '', PodName: '', Size: '',
  };
  return record;
}

/** `ps` flags. */
interface PsFlags {
  all?: boolean;
  quiet?: boolean;
  trunc: boolean;
  format?: string;
  filter: string[];
  last?: string;
  latest?: boolean;
  noheading?: boolean;
  size?: boolean;
  sort: string;
}

/** Register `ps`. */
export function register(program: Command): void {
  program.command('ps')
    .description('list containers (foreground and detached): the running ones, or all with -a')
    .option('-a, --all', 'show every container, not only the running ones')
    .option('-q, --quiet', 'print only the (short) ids')
    .option('--no-trunc', 'print whole ids')
    .option('-f, --filter <KEY=VALUE>', `only containers that match: ${PS_FILTER_KEYS.join(', ')} (label=KEY or KEY=VALUE; name is a regular expression; status: created, running, paused, exited); repeatable: the same key matches either, different keys all`, collect, [])
    .option('-n, --last <n>', 'only the n most recently created containers (whatever their state)')
    .option('-l, --latest', 'only the most recently created container (whatever its state)')
    .option('--noheading', 'print no header row')
    .option('-s, --size', 'add a SIZE column (the writable layer is held by the sandbox process and not measured: shown as --)')
    .option('--sort <key>', `sort by ${PS_SORT_KEYS.join(', ')} (created and runningfor: newest first)`, 'created')
    .option('--format <format>', 'table (default), json, or a Go template over ID, Names, Image, Command, Status, State, CreatedAt, Created, Labels, Ports, ...; "table" prefix adds a header')
    .addHelpText('after', '\nForeground containers (run without -d) are listed while they run and, unless run with --rm, after they exit.\nExit status: 0; 125 for a bad filter, sort key or format.')
    .action((f: PsFlags, c: Command) => {
      const now = Date.now();
      let last: number | undefined;
      if (f.last !== undefined) {
        if (!/^-?\d+$/.test(f.last)) throw new CliExit(ExitCode.RUNTIME, `invalid --last ${f.last}: give a number of containers`);
        if (Number(f.last) >= 0) last = Number(f.last);
      }
      if (f.latest) last = 1;
      const every = f.all === true || last !== undefined;
      let states = filterStates(listStates(containersRoot(c)), f.filter)
        .filter((s) => every || f.filter.some((x) => x.startsWith('status=')) || s.status === 'running' || s.status === 'paused');
      if (last !== undefined) states = states.sort((a, b) => Date.parse(b.created) - Date.parse(a.created)).slice(0, last);
      states = sortStates(states, f.sort, (s) => command(s).join(' '));
      const id = (s: RuncState) => (f.trunc ? s.id.slice(0, 12) : s.id);
      if (f.quiet) {
        for (const s of states) process.stdout.write(`${id(s)}\n`);
        return;
      }
      if (f.format === 'json') {
        process.stdout.write(`${JSON.stringify(states.map((s) => psRecord(s, now)), null, 2)}\n`);
        return;
      }
      if (f.format !== undefined && f.format !== 'table') {
        if (!isGoTemplate(f.format)) throw new CliExit(ExitCode.RUNTIME, `invalid --format ${f.format}: use table, json, or a Go template such as '{{.Names}}'`);
        const format = !f.noheading ? f.format : f.format.replace(/^table\s*/, '');
        printFormatted(format, states.map((s) => psTemplateRecord(s, !f.trunc, now)), PS_FIELDS, { ID: 'CONTAINER ID', RunningFor: 'CREATED' });
        return;
      }
      const head = ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES', ...(f.size ? ['SIZE'] : [])];
      const rows = [head, ...states.map((s) => {
        const cmd = command(s).join(' ');
        return [id(s), s.annotations[Annotation.IMAGE] ?? '', f.trunc && cmd.length > 20 ? `${cmd.slice(0, 17)}...` : cmd,
          `${humanDuration(now - Date.parse(s.created))} ago`, statusText(s, now), portsText(s.annotations), nameOf(s), ...(f.size ? ['--'] : [])];
      })];
      printTable(!f.noheading ? rows : rows.slice(1), '  ', rows[0]!);
    });
}
