/**
 * The base of the error class each `src/` module exports (STYLE.md: one class per module). `code` is
 * stable, for callers and the CLI's exit-code mapping to switch on; the message says what was wrong and
 * what to do. Subclasses set `name` to their own class name.
 */
export class CodedError<Code extends string> extends Error {
  constructor(readonly code: Code, message: string) {
    super(message);
  }
}
