/**
 * Superblocks and filesystems: what a mount points at. A superblock names
 * one filesystem instance (its device id, its type, whether the instance
 * itself is read-only) and carries the clock its timestamps come from.
 */
import type { Inode } from './inode.js';

/** The clock filesystems stamp times with (ns since the epoch); `Host` satisfies it. */
export interface Clock {
  realtimeNs(): bigint;
  /**
   * Device ids of this clock's filesystems, when it numbers them itself (a
   * deterministic host: the same ids on every run); else the process-wide
   * counter. All filesystems of one mount namespace come from one host.
   */
  allocDev?(): bigint;
}

let devCounter = 1n;

/**
 * Allocate a device id unique in this kernel instance. The only mutable
 * module state of the VFS: device ids must differ between every filesystem
 * instance that could ever meet in one mount namespace.
 */
export function allocDev(): bigint {
  return devCounter++;
}

/** One filesystem instance's identity: device id, type, read-only flag, inode numbers, clock. */
export class SuperBlock {
  /** Device id reported in `Filestat.dev`. */
  readonly dev: bigint;
  private inoNext = 1n;

  constructor(
    /** Filesystem type as /proc/mounts shows it (`tmpfs`, `overlay`...). */
    readonly fsType: string,
    /** Clock for timestamps. */
    readonly clock: Clock,
    /** True if the filesystem itself can never be modified (layerfs). */
    readonly readonly = false,
    dev?: bigint,
  ) {
    this.dev = dev ?? clock.allocDev?.() ?? allocDev();
  }

  /** A fresh inode number (never reused). */
  nextIno(): bigint {
    return this.inoNext++;
  }

  /** Current time in ns. */
  now(): bigint {
    return this.clock.realtimeNs();
  }
}

/** A mountable filesystem instance: a superblock and a root directory. */
export interface FileSystem {
  readonly sb: SuperBlock;
  readonly root: Inode;
  /** Source string for /proc/mounts (`tmpfs`, `overlay`, a host path). */
  readonly source: string;
  /** Release host resources (handles) once the container that mounted it is gone; later calls fail. */
  close?(): void;
}
