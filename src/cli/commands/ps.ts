/**
 * `wasmvisor ps [-a] [-q] [--format json]`: detached containers (`run -d`)
 * as podman lists them: running ones, or all with -a.
 */
import type { Command } from 'commander';
import { listStates, type RuncState } from '../../runtime/detached/state.js';
import { CliExit, ExitCode } from '../exit.js';
import { printTable } from '../table.js';
import { isGoTemplate, printFormatted } from '../go_template.js';
import { stoppedExitCode } from '../../runtime/lifecycle/wait.js';
import { Annotation, containersRoot, nameOf } from '../containers/store.js';

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
    CreatedAt: `${new Date(st.created).toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`, Created: ago, RunningFor: ago, Ports: '',
    Pid: j.Pid, ExitCode: j.ExitCode, Exited: j.Exited, ExitedAt: j.ExitedAt, Labels: {}, AutoRemove: j.AutoRemove, Mounts: [], Networks: [],
    Pod: '', PodName: '', Size: '',
  };
  return record;
}

/** Register `ps`. */
export function register(program: Command): void {
  program.command('ps')
    .description('list detached containers (run -d): the running ones, or all with -a')
    .option('-a, --all', 'show every container, not only the running ones')
    .option('-q, --quiet', 'print only the (short) ids')
    .option('--no-trunc', 'print whole ids')
    .option('--format <format>', 'table (default), json, or a Go template over ID, Names, Image, Command, Status, State, CreatedAt, Created, Ports, ...; "table" prefix adds a header')
    .action((f: { all?: boolean; quiet?: boolean; trunc: boolean; format?: string }, c: Command) => {
      const now = Date.now();
      const states = listStates(containersRoot(c))
        .filter((s) => f.all === true || s.status === 'running' || s.status === 'paused')
        .sort((a, b) => Date.parse(b.created) - Date.parse(a.created));
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
        printFormatted(f.format, states.map((s) => psTemplateRecord(s, !f.trunc, now)), PS_FIELDS, { ID: 'CONTAINER ID', RunningFor: 'CREATED' });
        return;
      }
      const rows = [['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'NAMES'], ...states.map((s) => {
        const cmd = command(s).join(' ');
        return [id(s), s.annotations[Annotation.IMAGE] ?? '', f.trunc && cmd.length > 20 ? `${cmd.slice(0, 17)}...` : cmd,
          `${humanDuration(now - Date.parse(s.created))} ago`, statusText(s, now), nameOf(s)];
      })];
      printTable(rows);
    });
}
