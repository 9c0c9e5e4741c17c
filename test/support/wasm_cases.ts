/**
 * The cases that run the project's own WASI test programs (`wasm/*.c`).
 * wasm_run.ts runs them two ways: `wasmvisor run` (the CLI, as users do)
 * and Node's own `node:wasi` (for differential tests).
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
// the runners, parsers and paths live in wasm_run.ts; re-exported so that one import serves
export * from './wasm_run.js';

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

/** The playground's sample programs (web/build.mjs packs them), each with a finite run. */
const PLAYGROUND_CASES: readonly WasmCase[] = [
  { name: 'readline', program: 'readline', stdin: 'hi there\nexit\n', tap: false, stdout: '> you said: hi there\n> ', stderr: '', nodeWasi: {} },
  { name: 'ticker', program: 'ticker', args: ['3', '10'], tap: false, stdout: 'tick 1\ntick 2\ntick 3\n', stderr: '', nodeWasi: {} },
  { name: 'spin', program: 'spin', args: ['2'], tap: false, stdout: 'spinning\nspun 2\n', stderr: '', nodeWasi: {} },
  { name: 'memhog', program: 'memhog', args: ['3'], tap: false, stdout: 'allocated 1 MiB\nallocated 2 MiB\nallocated 3 MiB\n', stderr: '', nodeWasi: {} },
  { name: 'memhog file', program: 'memhog', args: ['2', 'file'], tap: false, stdout: 'wrote 1 MiB\nwrote 2 MiB\n', stderr: '', nodeWasi: false },
  { name: 'cat', program: 'cat', stdin: 'from stdin\n', tap: false, stdout: 'from stdin\n', stderr: '', nodeWasi: {} },
  { name: 'cat of a missing file', program: 'cat', args: ['/nope'], exit: 1, tap: false, stdout: '', stderr: 'cat: /nope: No such file or directory\n', nodeWasi: false },
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
  // published-port servers (test/cli/publish.test.ts runs them with -p): without a port they say so and exit 2
  { name: 'http_server without a port', program: 'http_server', exit: 2, tap: false, stdout: '', stderr: 'http_server: no LISTEN_FDS: publish a port (wasmvisor run -p HOSTPORT:80)\n', nodeWasi: {} },
  { name: 'echo_server without a port', program: 'echo_server', exit: 2, tap: false, stdout: '', stderr: 'echo_server: no LISTEN_FDS: publish a port (wasmvisor run -p HOSTPORT:7)\n', nodeWasi: {} },
  {
    // a pod's sandbox program (test/e2e/cri.test.ts runs it as the pause image); it never ends unless asked
    name: 'pause',
    program: 'pause',
    args: ['version'],
    tap: false,
    stdout: 'pause (wasmvisor) 1.0\n',
    stderr: '',
    nodeWasi: {},
  },
  { name: 'files', program: 'files', nodeWasi: {} },
  // a file tool for build RUN steps and volume tests (no shell in a Wasm image)
  { name: 'fsedit', program: 'fsedit', args: ['mkdir:/tmp/a/b', 'write:/tmp/a/b/f:one\\n', 'append:/tmp/a/b/f:two\\n', 'cat:/tmp/a/b/f', 'rm:/tmp/a/b/f', 'rm:/tmp/a/b', 'cat:/tmp/a/b/f'], exit: 1, tap: false, stdout: 'one\ntwo\n', stderr: 'fsedit: cat:/tmp/a/b/f: No such file or directory\n', nodeWasi: false },
  {
    // the abusive tenant (test/security/tenant_abuse, storage_quota run it against limits); here, small and within them
    name: 'hog',
    program: 'hog',
    args: ['tiny:1000', 'deep:10', 'loop', 'fds:10', 'fillrm:/tmp/x', 'cat:/nope'],
    tap: false,
    stdout: 'tiny:1000: 1000 writes, size 1000\ndeep:10: depth 10 then stop\nloop: Symbolic link loop\nfds:10: opened 10 then stop\nfillrm:/tmp/x: ok\ncat:/nope: No such file or directory\n',
    stderr: '',
    nodeWasi: false,
  },
  {
    // one call per argument (test/security/seccomp*.test.ts filters them); unfiltered, each succeeds
    name: 'syscall_probe',
    program: 'syscall_probe',
    args: ['mkdir:/tmp/d', 'creat:/tmp/f', 'write:/tmp/f', 'open:/tmp/f', 'unlink:/tmp/f', 'rmdir:/tmp/d', 'random:300', 'echo:hi'],
    tap: false,
    stdout: 'mkdir:/tmp/d: ok\ncreat:/tmp/f: ok\nwrite:/tmp/f: ok\nopen:/tmp/f: ok\nunlink:/tmp/f: ok\nrmdir:/tmp/d: ok\nrandom:300: ok\nhi\n',
    stderr: '',
    nodeWasi: false,
  },
  {
    // the container's shape as the guest sees it (cross_platform.test.ts compares both platforms with it)
    name: 'inspect_root',
    program: 'inspect_root',
    args: ['ls:/', 'ls:/sys/fs/cgroup', 'stat:/dev/null', 'cat:/sys/fs/cgroup/pids.max', 'ls:/nonexistent'],
    tap: false,
    stdout:
      'ls:/: . .. dev etc proc sys tmp\n' +
      'ls:/sys/fs/cgroup: . .. cgroup.controllers cgroup.procs cpu.max cpu.stat cpu.weight io.max io.stat memory.current memory.events memory.high memory.max memory.peak memory.stat pids.current pids.max\n' +
      'stat:/dev/null: chr size=0 nlink=1\n' +
      'cat:/sys/fs/cgroup/pids.max: max\n' +
      'ls:/nonexistent: error No such file or directory\n',
    stderr: '',
    nodeWasi: false,
  },
  {
    name: 'dirs',
    program: 'dirs',
    nodeWasi: { why: 'uvwasi normalises "dot/." to "dot" and removes the directory', knownBad: ['rmdir of . fails'] },
  },
  {
    name: 'symlinks',
    program: 'symlinks',
    nodeWasi: {
      why: 'uvwasi ignores O_NOFOLLOW, NUL-terminates readlink and refuses short buffers, refuses absolute targets, follows dangling links on O_EXCL, stops at 32 links',
      knownBad: [
        'readlink writes no NUL',
        'readlink into a short buffer truncates',
        'symlink with an absolute target',
        'an absolute target resolves inside the root',
        'a chain of 40 links is followed',
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
      why: 'uvwasi lists no . and .., gives d_ino 0, its cookies are indexes that shift when an earlier entry goes, and a file fd lacks the rights (ENOTCAPABLE)',
      knownBad: [
        'the listing has . and ..',
        'd_ino matches st_ino',
        'd_type of . is DT_DIR',
        'an empty directory lists . and ..',
        'seekdir after the directory changed',
        'fd_readdir on a file is ENOTDIR',
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
  ...PLAYGROUND_CASES,
  // bench/metering.mjs's compute programs, briefly (their output is a checksum of the work)
  { name: 'bench_coremark', program: 'bench_coremark', args: ['3'], tap: false, stdout: 'coremark 3 crc 67ff\n', stderr: '', nodeWasi: {} },
  { name: 'bench_sort', program: 'bench_sort', args: ['1'], tap: false, stdout: 'sort 1 sum 5239ffdf\n', stderr: '', nodeWasi: {} },
];

/**
 * Cases that need a `wasmvisor run` option the library's container API has
 * no counterpart for yet (`--rootfs`), so only the CLI runs them.
 */
export const CLI_CASES: readonly WasmCase[] = [
  // wasmvisor cp and export run it inside a container (test/cli/containers.test.ts copies real trees)
  { name: 'cptar of a missing path', program: 'cptar', args: ['c', '/nope'], exit: 2, tap: false, stdout: '', stderr: 'cptar: cannot stat /nope: No such file or directory\n', nodeWasi: false },
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
    // only the low 8 bits of an exit code reach the parent, as with exit(2) on POSIX
    mk('exit', 256, 0, '', true),
    mk('exit', 258, 2, '', true),
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
