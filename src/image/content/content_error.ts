/** The error every content store failure is reported as (see content_store.ts). */
import { CodedError } from '../../coded_error.js';

/** Stable codes of {@link ContentStoreError}. */
export type ContentStoreErrorCode =
  | 'NOT_FOUND'
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'LOCKED'
  | 'TOO_LARGE'
  | 'INVALID';

/** A content store failure; `code` is stable, `message` says what to do. */
export class ContentStoreError extends CodedError<ContentStoreErrorCode> {
  override readonly name = 'ContentStoreError';
}
