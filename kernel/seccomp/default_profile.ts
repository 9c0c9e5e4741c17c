/**
 * The profile every `wasmvisor run` container gets unless
 * `--security-opt seccomp=FILE|unconfined` says otherwise. Why it is short:
 * WASI preview1 is already a capability interface, so everything Docker's
 * and podman's default profiles deny (mount, ptrace, bpf, kexec_load,
 * keyctl, unshare/clone of namespaces, reboot, module loading, clock
 * setting, raw I/O ports, …) has no preview1 counterpart and cannot be
 * called at all. What is left to deny is what a tenant never needs among
 * the calls it does have (README.md, "The default profile"):
 *
 * - `proc_raise` of a stop signal (STOP, TSTP, TTIN, TTOU): EPERM. In a
 *   container nothing can continue a task that stopped itself (preview1 has
 *   no kill() of another process), so it would hold its worker, memory and
 *   pids slot until an operator noticed.
 * - `random_get` of more than 1 MiB in one call: EINVAL. getentropy()
 *   takes at most 256 bytes and arc4random refills in small blocks; a huge
 *   request only costs the shared kernel time (the sentry platform sends it
 *   in data-area pieces) on behalf of one tenant.
 *
 * Everything else is allowed (defaultAction ALLOW). Written as OCI JSON so
 * that `wasmvisor run --security-opt seccomp=FILE` can start from a copy.
 */
import { Signal } from '../abi/wasi.js';
import type { SeccompProfile } from './profile.js';

/** Linux errno numbers used below. */
const EPERM = 1;
const EINVAL = 22;

/** The default profile (a fresh copy each call: callers may extend it). */
export function defaultProfile(): SeccompProfile {
  const stop = [Signal.STOP, Signal.TSTP, Signal.TTIN, Signal.TTOU];
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      ...stop.map((sig) => ({
        names: ['proc_raise'], action: 'SCMP_ACT_ERRNO' as const, errnoRet: EPERM,
        args: [{ index: 0, value: sig, op: 'SCMP_CMP_EQ' as const }],
      })),
      {
        names: ['random_get'], action: 'SCMP_ACT_ERRNO', errnoRet: EINVAL,
        args: [{ index: 0, value: 1 << 20, op: 'SCMP_CMP_GT' }],
      },
    ],
  };
}
