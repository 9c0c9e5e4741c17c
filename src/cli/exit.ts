/** Thrown by a command to end the CLI with `code` after printing `message` (if any) on stderr. */
export class CliExit extends Error {
  constructor(readonly code: number, message = '') {
    super(message);
    this.name = 'CliExit';
  }
}

/** podman's exit codes for failures of the runtime itself. */
export const ExitCode = { RUNTIME: 125, CANNOT_RUN: 126, NOT_FOUND: 127 } as const;
