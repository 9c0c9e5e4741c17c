/** The error every layer unpack failure is reported as. */
import { CodedError } from '../../coded_error.js';

/** Stable codes of {@link UnpackError}. */
export type UnpackErrorCode =
  /** An entry name or hard-link target has a `..` component or a NUL byte. */
  | 'PATH_TRAVERSAL'
  /** An entry would be written through a symlink of the same layer. */
  | 'WRITE_THROUGH_SYMLINK'
  /** A hard link to a directory, to a missing path or through a symlink. */
  | 'UNSAFE_LINK'
  /** A character/block device or a fifo (policy `refuse`). */
  | 'DEVICE_NODE'
  /** The same path listed twice (other than a directory), or a self hard link. */
  | 'DUPLICATE_ENTRY'
  /** An entry whose parent is a file, or a file replacing a directory of the same layer. */
  | 'CONFLICT'
  /** The uncompressed stream passed the byte cap or the compression-ratio cap. */
  | 'TOO_LARGE'
  /** More entries than the entry cap. */
  | 'TOO_MANY_ENTRIES'
  /** The uncompressed stream's sha256 differs from the image config's diff ID. */
  | 'DIFF_ID_MISMATCH'
  /** The tar stream is malformed or truncated. */
  | 'BAD_TAR'
  /** The gzip or zstd stream is corrupt. */
  | 'BAD_COMPRESSION'
  /** An entry type wasmvisor does not unpack (sparse, multi-volume, …). */
  | 'UNSUPPORTED_ENTRY';

/** A layer that could not be unpacked; nothing of it was published. */
export class UnpackError extends CodedError<UnpackErrorCode> {
  override readonly name = 'UnpackError';

  constructor(code: UnpackErrorCode, message: string, readonly entry?: string) {
    super(code, message);
  }
}
