/**
 * Which WASI preview1 calls a Linux system call name stands for, so that
 * a profile written for Linux (`openat`, `unlinkat`, `read`, …) applies to
 * the WASI calls that do the same thing (wasi-libc's `open` is
 * `path_open`, its `unlink` is `path_unlink_file`, …). A Linux name with
 * no WASI counterpart (mount, ptrace, bpf, clone, …) names nothing: such a
 * call cannot be made from preview1 at all.
 *
 * `args` maps the Linux call's argument positions onto the WASI call's
 * decoded fields where they mean the same (file descriptors, lengths); a
 * condition on any other position never holds (see README: a rule whose
 * condition cannot be evaluated does not match).
 */
import type { WasiCallName } from '../abi/wasi.js';

/** What one Linux name stands for. */
export interface LinuxCall {
  readonly wasi: readonly WasiCallName[];
  /** Linux argument index → the WASI call's field with the same meaning. */
  readonly args?: Readonly<Record<number, string>>;
}

const FD0 = { 0: 'fd' } as const;
const c = (wasi: WasiCallName[], args?: Record<number, string>): LinuxCall => ({ wasi, args });

/** The table (also in kernel/seccomp/README.md). */
export const LINUX_CALLS: ReadonlyMap<string, LinuxCall> = new Map<string, LinuxCall>([
  ['read', c(['fd_read'], FD0)], ['readv', c(['fd_read'], FD0)],
  ['pread64', c(['fd_pread'], FD0)], ['preadv', c(['fd_pread'], FD0)], ['preadv2', c(['fd_pread'], FD0)],
  ['write', c(['fd_write'], FD0)], ['writev', c(['fd_write'], FD0)],
  ['pwrite64', c(['fd_pwrite'], FD0)], ['pwritev', c(['fd_pwrite'], FD0)], ['pwritev2', c(['fd_pwrite'], FD0)],
  ['open', c(['path_open'])], ['creat', c(['path_open'])], ['openat', c(['path_open'], FD0)], ['openat2', c(['path_open'], FD0)],
  ['close', c(['fd_close'], FD0)],
  ['lseek', c(['fd_seek', 'fd_tell'], FD0)], ['_llseek', c(['fd_seek', 'fd_tell'], FD0)],
  ['fstat', c(['fd_filestat_get'], FD0)], ['fstat64', c(['fd_filestat_get'], FD0)],
  ['stat', c(['path_filestat_get'])], ['lstat', c(['path_filestat_get'])], ['stat64', c(['path_filestat_get'])], ['lstat64', c(['path_filestat_get'])],
  ['newfstatat', c(['path_filestat_get', 'fd_filestat_get'], FD0)], ['fstatat64', c(['path_filestat_get', 'fd_filestat_get'], FD0)],
  ['statx', c(['path_filestat_get', 'fd_filestat_get'], FD0)],
  ['fcntl', c(['fd_fdstat_get', 'fd_fdstat_set_flags'], FD0)], ['fcntl64', c(['fd_fdstat_get', 'fd_fdstat_set_flags'], FD0)],
  ['ftruncate', c(['fd_filestat_set_size'], FD0)], ['ftruncate64', c(['fd_filestat_set_size'], FD0)],
  ['utimensat', c(['path_filestat_set_times', 'fd_filestat_set_times'], FD0)], ['futimesat', c(['path_filestat_set_times'], FD0)],
  ['utime', c(['path_filestat_set_times'])], ['utimes', c(['path_filestat_set_times'])],
  ['fsync', c(['fd_sync'], FD0)], ['fdatasync', c(['fd_datasync'], FD0)],
  ['fallocate', c(['fd_allocate'], FD0)], ['fadvise64', c(['fd_advise'], FD0)], ['fadvise64_64', c(['fd_advise'], FD0)],
  ['getdents', c(['fd_readdir'], FD0)], ['getdents64', c(['fd_readdir'], FD0)],
  ['dup2', c(['fd_renumber'], { 0: 'fd', 1: 'to' })], ['dup3', c(['fd_renumber'], { 0: 'fd', 1: 'to' })],
  ['mkdir', c(['path_create_directory'])], ['mkdirat', c(['path_create_directory'], FD0)],
  ['unlink', c(['path_unlink_file'])], ['rmdir', c(['path_remove_directory'])],
  ['unlinkat', c(['path_unlink_file', 'path_remove_directory'], FD0)],
  ['rename', c(['path_rename'])], ['renameat', c(['path_rename'], { 0: 'fd', 2: 'newFd' })], ['renameat2', c(['path_rename'], { 0: 'fd', 2: 'newFd' })],
  ['link', c(['path_link'])], ['linkat', c(['path_link'], { 0: 'oldFd', 2: 'newFd' })],
  ['symlink', c(['path_symlink'])], ['symlinkat', c(['path_symlink'], { 1: 'fd' })],
  ['readlink', c(['path_readlink'])], ['readlinkat', c(['path_readlink'], FD0)],
  ['poll', c(['poll_oneoff'])], ['ppoll', c(['poll_oneoff'])], ['select', c(['poll_oneoff'])], ['pselect6', c(['poll_oneoff'])],
  ['epoll_wait', c(['poll_oneoff'])], ['epoll_pwait', c(['poll_oneoff'])], ['nanosleep', c(['poll_oneoff'])], ['clock_nanosleep', c(['poll_oneoff'])],
  ['exit', c(['proc_exit'])], ['exit_group', c(['proc_exit'])],
  ['kill', c(['proc_raise'])], ['tkill', c(['proc_raise'])], ['tgkill', c(['proc_raise'])],
  ['sched_yield', c(['sched_yield'])],
  ['getrandom', c(['random_get'], { 1: 'len' })],
  ['clock_gettime', c(['clock_time_get'])], ['gettimeofday', c(['clock_time_get'])], ['time', c(['clock_time_get'])],
  ['clock_getres', c(['clock_res_get'])],
  ['accept', c(['sock_accept'], FD0)], ['accept4', c(['sock_accept'], FD0)],
  ['recv', c(['sock_recv'], FD0)], ['recvfrom', c(['sock_recv'], FD0)], ['recvmsg', c(['sock_recv'], FD0)],
  ['send', c(['sock_send'], FD0)], ['sendto', c(['sock_send'], FD0)], ['sendmsg', c(['sock_send'], FD0)],
  ['shutdown', c(['sock_shutdown'], FD0)],
]);
