/** The error every content store failure is reported as (see content_store.ts). */

/** Stable codes of {@link ContentStoreError}. */
export type ContentStoreErrorCode =
  | 'NOT_FOUND'
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'LOCKED'
  | 'TOO_LARGE'
  | 'INVALID';

/** A content store failure; `code` is stable, `message` says what to do. */
export class ContentStoreError extends Error {
  constructor(readonly code: ContentStoreErrorCode, message: string) {
    super(message);
    this.name = 'ContentStoreError';
  }
}
