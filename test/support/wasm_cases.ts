/**
 * The cases that run the project's own WASI test programs (`wasm/*.c`),
 * and the two ways to run them: `wasmvisor run` (the CLI, as users do) and
 * Node's own `node:wasi` (for differential tests).
 *
 * Each program checks itself and prints TAP-ish lines (`ok - NAME`,
 * `not ok - NAME: why`, `# N checks, F failed`; see wasm/include/tap.h).
 * A case names the program, its arguments, environment, stdin and mounts,
 * and what must come out: the exit code and, for programs that are not
 * self-checking, the exact output.
 *
 * `nodeWasi` says how the case behaves under node:wasi: `false` when it
 * cannot be compared at all, else the checks node:wasi is known to get
 * wrong (each one asserted to still fail there, and to pass under
 * wasmvisor), the checks it never reaches, and the checks to skip because
 * node:wasi hangs on them.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, closeSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync,
  rmSync, statSync, symlinkSync, writeFileSync, writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const REPO = join(dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the programs and their committed .wasm files live. */
export const WASM_DIR = join(REPO, 'wasm');
/** The `wasmvisor` CLI entry. */
export const WASMVISOR_BIN = join(REPO, 'bin/wasmvisor.js');
/** The node:wasi child-process runner. */
export const NODE_WASI_RUNNER = join(REPO, 'test/wasm/node_wasi_runner.mjs');

/** A host directory the harness creates and binds into the container. */
export interface CaseMount {
  /** Path inside the container. */
  container: string;
  readonly?: boolean;
  /** Files to create in it (relative path → content). */
  files?: Record<string, string>;
}

/** A host directory tree the harness builds (paths relative to its top). */
export interface HostTree {
  /** Regular files: path → content. */
  files?: Record<string, string>;
  /** Symlinks: path → target. */
  symlinks?: Record<string, string>;
  /** Hard links: new path → an existing file's path. */
  hardlinks?: Record<string, string>;
}

/** How a case compares under node:wasi. */
export interface NodeWasiPlan {
  /** Why node:wasi's answer differs, for the checks in `knownBad` (one line). */
  why?: string;
  /** Checks node:wasi gets wrong: they must fail there and pass under wasmvisor. */
  knownBad?: string[];
  /** Checks node:wasi never reaches (an earlier deviation changes the program's path). */
  absent?: string[];
  /** Checks whose node:wasi result varies from run to run: not compared (wasmvisor must still pass them). */
  unreliable?: string[];
  /** Checks skipped under node:wasi (passed as TAP_SKIP) because node:wasi hangs on them. */
  skip?: string[];
  /** Environment only for the node:wasi run (e.g. a setting wasmvisor gets from a flag). */
  env?: Record<string, string>;
}

/** One run of one program. */
export interface WasmCase {
  /** Unique name, used as the test's title. */
  name: string;
  /** Program name: `wasm/<program>.wasm`. */
  program: string;
  args?: string[];
  env?: Record<string, string>;
  stdin?: string;
  mounts?: CaseMount[];
  /** `-w` working directory. */
  workdir?: string;
  /** `--rootfs`: a host tree used as the root's read-only lower layer. */
  rootfs?: HostTree;
  /** Expected exit code (default 0). */
  exit?: number;
  /** Self-checking TAP output with a summary line (default true). */
  tap?: boolean;
  /** Exact stdout, when given. */
  stdout?: string;
  /** Exact stderr, when given. */
  stderr?: string;
  /**
   * Checks that still fail under wasmvisor because of a known kernel bug
   * (check name → the bug). Tolerated, and reported; once a check passes the
   * test fails until its entry is removed, so the list never goes stale.
   */
  pending?: Record<string, string>;
  /** Differential plan; `false`: not run under node:wasi. */
  nodeWasi: NodeWasiPlan | false;
}

const STDIN_TEXT = 'hello stdin\nsecond line without a newline at the end';

/** Sleep checks node:wasi fails now and then: uvwasi's timers count whole milliseconds and can wake early. */
const NODE_EARLY_WAKEUPS = [
  'nanosleep sleeps at least 30 ms',
  'clock_nanosleep relative sleeps at least 30 ms',
  'clock_nanosleep on CLOCK_REALTIME sleeps',
  'usleep sleeps at least 20 ms',
  'poll_oneoff waited at least 20 ms',
  'the realtime timeout elapses',
  'poll(2) with no fds sleeps',
];

/** Every case the CLI and the library both run; with CLI_CASES, each wasm/*.c program has one (a test checks it). */
export const CASES: readonly WasmCase[] = [
  {
    name: 'hello',
    program: 'hello',
    args: ['a', 'b c'],
    tap: false,
    stdout: 'hello from wasmvisor\narg 1: a\narg 2: b c\n',
    stderr: '',
    nodeWasi: {},
  },
  { name: 'files', program: 'files', nodeWasi: {} },
  {
    name: 'dirs',
    program: 'dirs',
    nodeWasi: { why: 'uvwasi normalises "dot/." to "dot" and removes the directory', knownBad: ['rmdir of . fails'] },
  },
  {
    name: 'symlinks',
    program: 'symlinks',
    nodeWasi: {
      why: 'uvwasi ignores O_NOFOLLOW, NUL-terminates readlink and refuses short buffers, refuses absolute targets, follows dangling links on O_EXCL',
      knownBad: [
        'readlink writes no NUL',
        'readlink into a short buffer truncates',
        'symlink with an absolute target',
        'an absolute target resolves inside the root',
        'O_CREAT|O_EXCL on a dangling link is EEXIST',
        'a path through a dangling link is ENOENT',
        'O_NOFOLLOW on a dangling link is ELOOP',
        'O_NOFOLLOW on a link to a file is ELOOP',
        'O_DIRECTORY|O_NOFOLLOW on a link to a directory fails',
      ],
    },
  },
  {
    name: 'links',
    program: 'links',
    pending: { 'fstat shows nlink 0': 'kernel: an open file whose last name was unlinked still reports nlink 1' },
    nodeWasi: { why: 'uvwasi reports nlink 1 for an open file with no names left', knownBad: ['fstat shows nlink 0'] },
  },
  { name: 'rename', program: 'rename', nodeWasi: {} },
  {
    name: 'readdir',
    program: 'readdir',
    nodeWasi: {
      why: 'uvwasi lists no . and .., gives d_ino 0, and its cookies are indexes that shift when an earlier entry goes',
      knownBad: [
        'the listing has . and ..',
        'd_ino matches st_ino',
        'd_type of . is DT_DIR',
        'an empty directory lists . and ..',
        'seekdir after the directory changed',
      ],
    },
  },
  { name: 'stat', program: 'stat', nodeWasi: {} },
  {
    name: 'stat with /dev/null',
    program: 'stat',
    env: { STAT_DEV: '/dev/null' },
    nodeWasi: false,
  },
  {
    name: 'devices',
    program: 'devices',
    args: ['one', 'two'],
    env: { DEVICES_MARK: 'present' },
    nodeWasi: false,
  },
  {
    name: 'timestamps',
    program: 'timestamps',
    nodeWasi: {
      why: 'uvwasi sets times through doubles of seconds (nanoseconds lost) and deadlocks after an ATIM|ATIM_NOW EINVAL',
      knownBad: [
        'atime to the nanosecond',
        'mtime to the nanosecond',
        'and the other time is set',
        'futimens atime',
        'futimens mtime',
        "the link's own mtime is set",
        'sets the target',
      ],
      skip: ['ATIM together with ATIM_NOW is EINVAL', 'MTIM together with MTIM_NOW is EINVAL'],
    },
  },
  {
    name: 'poll_sleep',
    program: 'poll_sleep',
    stdin: STDIN_TEXT,
    env: { STDIN_EXPECT: STDIN_TEXT },
    nodeWasi: {
      why: 'uvwasi treats absolute clock deadlines as relative and refuses fd subscriptions on regular files (EPERM)',
      knownBad: [
        'a past absolute deadline fires at once',
        'the absolute clock\'s event',
        'poll_oneoff on a regular file',
        'a regular file is readable',
        'a regular file is writable',
        'the bad fd is reported in its event',
        'poll(2) on a regular file',
        'poll(2) reports POLLIN|POLLOUT',
      ],
      unreliable: NODE_EARLY_WAKEUPS,
      skip: ['clock_nanosleep TIMER_ABSTIME'],
      absent: ['clock_nanosleep TIMER_ABSTIME wakes after the deadline'],
    },
  },
  { name: 'clocks', program: 'clocks', nodeWasi: { unreliable: ['monotonic advances across a 50 ms sleep'] } },
  { name: 'random', program: 'random', nodeWasi: {} },
  {
    name: 'args_env',
    program: 'args_env',
    args: ['one', 'two words', '', 'ünï=code'],
    env: { FOO: 'bar', EMPTY: '', WITH_EQ: 'x=y' },
    nodeWasi: {},
  },
  {
    name: 'stdio',
    program: 'stdio',
    stdin: STDIN_TEXT,
    env: { STDIN_EXPECT: STDIN_TEXT },
    nodeWasi: {
      why: 'uvwasi refuses fd_renumber onto a closed or never-opened fd',
      knownBad: [
        'fd_renumber back onto the closed fd 1',
        'the source fd is closed after fd_renumber',
        'fd_renumber onto an fd number never opened',
        'and back to 1',
      ],
      absent: [
        'close(1)',
        'write to fd 1 after close(1) is EBADF',
        'printf to a closed stdout fails',
        'fd_fdstat_get on the closed fd 1 is EBADF',
        'stderr still works after close(1)',
      ],
    },
  },
  {
    name: 'errors',
    program: 'errors',
    nodeWasi: {
      why: 'node:wasi answers EOVERFLOW for bad pointers, ENOTCAPABLE for rights and NUL bytes, EINVAL/ENOTSUP elsewhere',
      knownBad: [
        'fd_prestat_get of stdin is EBADF',
        'path_open with a NUL inside the path is EINVAL',
        'path_open with a trailing NUL is EINVAL',
        'openat with a file as the directory fd is ENOTDIR',
        'fstatat with a file as the directory fd is ENOTDIR',
        'sock_shutdown on a file is ENOTSOCK',
        'sock_recv on a file is ENOTSOCK',
        'sock_send on a file is ENOTSOCK',
        'fd_write with iovs out of memory is EFAULT',
        'fd_write with iovs straddling the end is EFAULT',
        'fd_write of a buffer straddling the end is EFAULT',
        'fd_write of a buffer whose end wraps past 4 GiB is EFAULT',
        'fd_write with a huge iovs_len is EFAULT or EINVAL',
        'fd_write with nwritten out of memory is EFAULT',
        'fd_read into a buffer out of memory is EFAULT',
        'path_open with a path straddling the end is EFAULT',
        'path_open with fd_out out of memory is EFAULT',
        'path_filestat_get into a buffer straddling the end is EFAULT',
        'fd_filestat_get into a buffer out of memory is EFAULT',
        'clock_time_get into a result straddling the end is EFAULT',
        'random_get into a buffer straddling the end is EFAULT',
        'args_sizes_get into memory\'s end is EFAULT',
        'poll_oneoff with subscriptions out of memory is EFAULT',
        'fd_prestat_dir_name into a buffer out of memory is EFAULT',
      ],
    },
  },
  {
    name: 'errors on a read-only bind and across mounts',
    program: 'errors',
    mounts: [
      { container: '/ro', readonly: true, files: { 'file.txt': 'read only content' } },
      { container: '/xdev', files: {} },
    ],
    env: { RO_DIR: '/ro', RO_FILE: 'file.txt', RO_CONTENT: 'read only content', XDEV_DIR: '/xdev' },
    nodeWasi: false,
  },
  {
    name: 'workdir',
    program: 'workdir',
    workdir: '/work/dir',
    env: { EXPECT_WORKDIR: '/work/dir', ABS_DIR: '/tmp' },
    nodeWasi: false,
  },
  ...exitCases(),
];

/**
 * Cases that need a `wasmvisor run` option the library's container API has
 * no counterpart for yet (`--rootfs`), so only the CLI runs them.
 */
export const CLI_CASES: readonly WasmCase[] = [
  {
    name: 'rootfs overlay over a read-only host directory',
    program: 'rootfs',
    rootfs: {
      files: {
        'etc/motd': 'lower motd\n',
        'etc/keep': 'keep',
        'data/gone.txt': 'gone',
        'data/dir/inner.txt': 'inner',
        'data/hard1': 'linked',
        'movable/a.txt': 'a',
      },
      hardlinks: { 'data/hard2': 'data/hard1' },
      symlinks: { 'data/link': '../etc/motd' },
    },
    nodeWasi: false,
  },
];

function exitCases(): WasmCase[] {
  const mk = (mode: string, n: number | null, exit: number, stdout: string, node: boolean): WasmCase => ({
    name: `exit_codes ${mode}${n === null ? '' : ` ${n}`}`,
    program: 'exit_codes',
    args: n === null ? [mode] : [mode, String(n)],
    exit,
    tap: false,
    stdout: `ok - mode ${mode} ${n ?? 0}\n${stdout}`,
    nodeWasi: node ? {} : false,
  });
  return [
    mk('exit', 0, 0, '', true),
    mk('exit', 3, 3, '', true),
    mk('exit', 255, 255, '', true),
    mk('return', 7, 7, '', true),
    mk('flush', null, 5, 'buffered text without a newline', true),
    mk('atexit', null, 3, 'ok - atexit handler ran\n', true),
    // a trap is 128 + SIGABRT, as wasmtime and podman report it
    mk('abort', null, 134, '', false),
    mk('trap', null, 134, '', false),
    // wasi-libc's emulated raise() prints and then aborts
    mk('raise_term', null, 134, '', false),
    // the kernel's default action for SIGTERM: killed, 128 + 15
    mk('proc_raise_term', null, 143, '', false),
  ];
}

/** What one run produced. */
export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Read-only host directories (--rootfs, `:ro` binds) whose contents changed during the run. */
  changedReadOnly: string[];
}

/** A prepared case: host directories made, to be removed with `cleanup()`. */
export interface Prepared {
  /** `-v` specs `HOST:CTR[:ro]`. */
  volumes: string[];
  /** host directory per container path. */
  hostDirs: Map<string, string>;
  root: string;
  /** The `--rootfs` directory, if the case has one. */
  rootfs?: string;
  /** Host directories the container must not change (rootfs, read-only binds). */
  readOnly: string[];
  cleanup(): void;
}

/** Build `tree` under `dir`. */
export function buildTree(dir: string, tree: HostTree): void {
  mkdirSync(dir, { recursive: true });
  for (const [rel, content] of Object.entries(tree.files ?? {})) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  for (const [rel, existing] of Object.entries(tree.hardlinks ?? {})) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    linkSync(join(dir, existing), join(dir, rel));
  }
  for (const [rel, target] of Object.entries(tree.symlinks ?? {})) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    symlinkSync(target, join(dir, rel));
  }
}

/**
 * Everything observable about a host tree, one sorted line per entry: type,
 * mode, size, content digest or link target, mtime, and which entries share
 * an inode.
 */
export function snapshotTree(dir: string): string {
  const lines: string[] = [];
  const inodes = new Map<number, string>();
  const walk = (rel: string): void => {
    const p = join(dir, rel);
    const st = lstatSync(p);
    let what = '';
    if (st.isSymbolicLink()) what = `-> ${readlinkSync(p)}`;
    else if (st.isFile()) {
      what = createHash('sha256').update(readFileSync(p)).digest('hex');
      const first = inodes.get(st.ino);
      if (first !== undefined) what += ` same-inode-as ${first}`;
      else inodes.set(st.ino, rel);
    }
    lines.push(`${rel || '.'} ${st.mode.toString(8)} ${st.isDirectory() ? '' : st.size} ${st.mtimeMs} ${what}`);
    if (st.isDirectory()) for (const name of readdirSync(p).sort()) walk(rel ? `${rel}/${name}` : name);
  };
  walk('');
  return lines.join('\n');
}

/** Create the host directories a case mounts. */
export function prepare(c: WasmCase): Prepared {
  const root = mkdtempSync(join(tmpdir(), 'wv-case-'));
  const volumes: string[] = [];
  const hostDirs = new Map<string, string>();
  for (const [i, m] of (c.mounts ?? []).entries()) {
    const dir = join(root, `mount${i}`);
    mkdirSync(dir);
    for (const [rel, content] of Object.entries(m.files ?? {})) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), content);
    }
    volumes.push(`${dir}:${m.container}${m.readonly ? ':ro' : ''}`);
    hostDirs.set(m.container, dir);
  }
  let rootfs: string | undefined;
  if (c.rootfs) {
    rootfs = join(root, 'rootfs');
    buildTree(rootfs, c.rootfs);
  }
  const readOnly = [...(rootfs ? [rootfs] : []), ...(c.mounts ?? []).filter((m) => m.readonly).map((m) => hostDirs.get(m.container)!)];
  return {
    volumes,
    hostDirs,
    root,
    rootfs,
    readOnly,
    cleanup: () => {
      chmodSync(root, 0o700);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * A real pipe (a FIFO) holding `data` and already at EOF, for a child's
 * stdin: what `printf ... | wasmvisor run ...` gives in a shell. (Node's own
 * `stdio: 'pipe'` is a socketpair, a different kind of stdin.) Returns the
 * read end's fd; the caller closes it after spawning.
 */
function fifoWith(data: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'wv-stdin-'));
  const path = join(dir, 'stdin');
  execFileSync('mkfifo', [path]);
  try {
    const w = openSync(path, 'r+'); // O_RDWR: opening never blocks, and lets the reader open
    const r = openSync(path, 'r');
    const bytes = Buffer.from(data);
    if (bytes.length > 60_000) throw new Error('stdin for a case must fit in a pipe buffer');
    writeSync(w, bytes);
    closeSync(w); // the only writer goes: the reader sees the data, then EOF
    return r;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Spawn `cmd args` with `stdin` in a pipe, collect output; kill after `timeoutMs`. */
export function spawnCollect(cmd: string, args: string[], stdin: string | undefined, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const inFd = fifoWith(stdin ?? '');
    let child;
    try {
      child = spawn(cmd, args, { stdio: [inFd, 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
    } finally {
      closeSync(inFd);
    }
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, stdout, stderr, timedOut, changedReadOnly: [] });
    });
  });
}

/** Run a case under `wasmvisor run` (the built CLI). */
export async function runUnderWasmvisor(c: WasmCase, timeoutMs = 40_000): Promise<RunResult> {
  const p = prepare(c);
  try {
    const args = [WASMVISOR_BIN, 'run'];
    for (const v of p.volumes) args.push('-v', v);
    for (const [k, v] of Object.entries(c.env ?? {})) args.push('-e', `${k}=${v}`);
    if (c.workdir) args.push('-w', c.workdir);
    if (p.rootfs) args.push('--rootfs', p.rootfs);
    args.push(join(WASM_DIR, `${c.program}.wasm`), ...(c.args ?? []));
    const before = p.readOnly.map(snapshotTree);
    const r = await spawnCollect(process.execPath, args, c.stdin, timeoutMs);
    r.changedReadOnly = p.readOnly.filter((d, i) => snapshotTree(d) !== before[i]);
    return r;
  } finally {
    p.cleanup();
  }
}

/** Run a case under node:wasi with a fresh temp directory preopened as `/`. */
export async function runUnderNodeWasi(c: WasmCase, timeoutMs = 40_000): Promise<RunResult> {
  if (c.nodeWasi === false) throw new Error(`case ${c.name} does not run under node:wasi`);
  const p = prepare(c);
  try {
    const rootDir = join(p.root, 'root');
    mkdirSync(rootDir);
    const args = [NODE_WASI_RUNNER, '--dir', `${rootDir}:/`];
    for (const [ctr, host] of p.hostDirs) args.push('--dir', `${host}:${ctr}`);
    const env = { ...(c.env ?? {}), ...(c.nodeWasi.env ?? {}) };
    if (c.nodeWasi.skip?.length) env.TAP_SKIP = c.nodeWasi.skip.join(';');
    for (const [k, v] of Object.entries(env)) args.push('--env', `${k}=${v}`);
    args.push('--', join(WASM_DIR, `${c.program}.wasm`), ...(c.args ?? []));
    return await spawnCollect(process.execPath, args, c.stdin, timeoutMs);
  } finally {
    p.cleanup();
  }
}

/** One parsed check line. */
export interface TapLine {
  name: string;
  ok: boolean;
  skipped: boolean;
  /** The failure detail after `: ` on a `not ok` line. */
  why?: string;
}

/** The checks and the summary line of a TAP-ish output (stdout and stderr together). */
export interface TapReport {
  checks: TapLine[];
  /** From `# N checks, F failed`, if present. */
  summary?: { checks: number; failed: number };
}

/** Parse `ok - NAME` / `not ok - NAME: why` / `# N checks, F failed` lines. */
export function parseTap(text: string): TapReport {
  const checks: TapLine[] = [];
  let summary: TapReport['summary'];
  for (const line of text.split('\n')) {
    let m = /^ok - (.*?)( # SKIP)?$/.exec(line);
    if (m) {
      checks.push({ name: m[1]!, ok: true, skipped: m[2] !== undefined });
      continue;
    }
    m = /^not ok - (.*?)(?:: (.*))?$/.exec(line);
    if (m) {
      checks.push({ name: m[1]!, ok: false, skipped: false, why: m[2] });
      continue;
    }
    m = /^# (\d+) checks, (\d+) failed$/.exec(line);
    if (m) summary = { checks: Number(m[1]), failed: Number(m[2]) };
  }
  return { checks, summary };
}

/** Newest modification time of any .ts file under `dir`. */
function newestTs(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestTs(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Is `dist/` older than the TypeScript sources? */
function distIsStale(): boolean {
  const entry = join(REPO, 'dist/src/cli/wasmvisor.js');
  const built = existsSync(entry) ? statSync(entry).mtimeMs : 0;
  return built < Math.max(newestTs(join(REPO, 'src')), newestTs(join(REPO, 'kernel')));
}

/**
 * Make sure `dist/` (what `bin/wasmvisor.js` runs) is at least as new as the
 * TypeScript sources; `npm test` builds first, a lone `vitest run` may not.
 * Test files run in parallel: a lock directory lets one of them build while
 * the others wait, then find dist/ fresh.
 */
export function ensureBuilt(): void {
  if (!distIsStale()) return;
  const lock = join(tmpdir(), `wasmvisor-build-${createHash('sha256').update(REPO).digest('hex').slice(0, 12)}.lock`);
  const deadline = Date.now() + 170_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // a lock left by a killed run is taken over after 3 minutes
      try {
        if (Date.now() - statSync(lock).mtimeMs > 180_000) rmSync(lock, { recursive: true, force: true });
      } catch { /* gone meanwhile */ }
      if (Date.now() > deadline) throw new Error(`waited too long for ${lock}: remove it if no build is running`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
  try {
    if (distIsStale()) {
      try {
        execFileSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', REPO], { stdio: 'inherit' });
      } catch (err) {
        // type errors still emit JavaScript; only a build that wrote nothing is fatal
        if (distIsStale()) throw err;
      }
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
