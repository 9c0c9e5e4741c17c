/**
 * `wasmvisor/testing`: containers as test fixtures. `runProgram` runs a WASI
 * program in a fresh container in one call (files from a plain object,
 * virtual clock, seeded randomness, fault injection, syscall trace, the
 * container's files afterwards); `startProgram` runs one on the Runtime for
 * multi-process cases. Matchers for vitest are in `wasmvisor/testing/vitest`.
 */
export { runProgram, RunProgramError, type ProgramLimits, type ProgramResult, type ProgramSource, type RunProgramOptions } from './run_program.js';
export { file, FilesError, layerFromFiles, type FileEntry, type FileTree } from './files.js';
export { ContainerFsError, type ContainerFs, type FsChange } from './container_fs.js';
export { formatTrace, TRACE_BYTES, TRACE_MAX_BYTES, TRACE_MAX_ENTRIES, TraceLog, type FormatTraceOptions, type TraceEntry } from './trace.js';
export { DEFAULT_REALTIME, DeterminismError, deterministicHost, SeededRandom, VirtualClock, type ClockOptions, type DeterminismOptions } from './virtual_host.js';
export { FaultRuleError, type FaultRule } from '../../kernel/syscalls/faults.js';
export { startProgram, type ProcessResult, type ProgramHandle, type StartProgramOptions } from './start_program.js';
