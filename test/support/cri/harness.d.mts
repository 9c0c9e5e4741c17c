/** Types of harness.mjs (a CRI node for tests and benches: containerd with its CRI plugin, a registry, a CRI v1 client). */
import type { ChildProcess } from 'node:child_process';

/** The CRI proto file of this folder. */
export const PROTO: string;
/** A TCP port free on 127.0.0.1 now. */
export function freePort(): Promise<number>;
/** Debian's docker-registry on 127.0.0.1, storage under `dir`. */
export function startRegistry(dir: string): Promise<{ host: string; stop(): Promise<void> }>;
/** An OCI image layout at `dir` (tag `tag`): one layer of `files` (image path → host file), `config` as its container config; platform default linux/<host arch>. */
export function writeImage(dir: string, tag: string, files: Record<string, string>, config: Record<string, unknown>, platform?: { os?: string; architecture?: string }): Promise<void>;
/** skopeo copy of the layout `dir`:`tag` to `ref` over plain http. */
export function pushImage(dir: string, tag: string, ref: string): Promise<void>;

/** What containerd's config is made of. */
export interface ContainerdOptions {
  /** Every path containerd uses is under this directory. */
  work: string;
  /** BinaryName of the `wasmvisor` runtime handler. */
  binary: string;
  sandboxImage: string;
  /** HOST:PORT of a plain-http registry. */
  registry: string;
}
/** containerd's config.toml for `opts`. */
export function containerdConfig(opts: ContainerdOptions): string;
/** A running containerd. */
export interface RunningContainerd {
  address: string;
  /** Its log file. */
  log: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}
export function startContainerd(opts: ContainerdOptions): Promise<RunningContainerd>;

/** A CRI method: request → response (plain objects; enums as names, int64 as strings, bytes as Buffers). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CriMethod = (req: Record<string, any>, deadlineMs?: number) => Promise<any>;
/** A CRI v1 client. */
export interface CriClient {
  runtime: Record<string, CriMethod>;
  image: Record<string, CriMethod>;
  close(): void;
}
export function criClient(address: string): CriClient;
/** A host-network pod's sandbox config. */
export function podConfig(name: string, uid: string, logDir: string, hostname?: string): Record<string, unknown>;
/** Poll ContainerStatus until EXITED; resolves to the status. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function waitExited(client: CriClient, id: string, ms?: number): Promise<any>;
