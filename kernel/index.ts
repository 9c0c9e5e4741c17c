/** Public surface of the kernel (`wasmvisor/kernel`). */
export { Kernel } from './kernel.js';
export type { Host, HostFs, HostStat } from './host.js';
export { E, Errno, ERRNO_NAMES, SysError, isSysError } from './errno.js';
export { Task, type TaskContext, type TaskOptions } from './task/task.js';
export { FdTable, type FdEntry } from './task/fd_table.js';
export { FileDescription } from './vfs/file_description.js';
export { Pipe, PipeReadEnd, PipeWriteEnd } from './task/pipe.js';
export { ConsoleFile, type ConsoleSink, type ConsoleSource } from './task/console.js';
export { installPreopen, installStdio, streamRights, PREOPEN_RIGHTS_BASE, PREOPEN_RIGHTS_INHERITING } from './task/stdio.js';
export { TaskExit, exitCodeOf, describeStatus, type ExitStatus } from './task/exit.js';
export { SYSCALLS, SYSCALL_BY_NAME, type SyscallEntry, type Support } from './syscalls/table.js';
export { Dispatcher, newOutcome, type CallOutcome, type SyscallFilter, type FilterVerdict } from './syscalls/dispatch.js';
export { buildImports, type ImportContext } from './platform/imports.js';
export { runInline, invokeInline, ModuleError, TRAP_EXIT_CODE } from './platform/inline.js';
export { GuestMemory } from './abi/memory.js';
export { Rights, RIGHTS_ALL, RIGHTS_DIR_BASE, RIGHTS_FILE_BASE, RIGHTS_STREAM, WASI_PREVIEW1_IMPORTS, WASI_MODULE, Signal, linuxSignal } from './abi/wasi.js';
export type { ProcSourceOptions } from './kernel.js';
export { formatCall } from './platform/strace.js';
