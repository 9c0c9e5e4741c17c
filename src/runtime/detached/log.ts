/**
 * runc's log file (`--log FILE --log-format text|json`): one record a
 * line, as logrus writes them. containerd's shim reports the last `error`
 * record when a command fails. Both the commands and the sandbox process
 * (for failures after `create` returned) append here.
 */
import { appendFileSync } from 'node:fs';

/** Where records go: the file and its format (no file: nowhere). */
export interface LogTarget {
  log?: string;
  logFormat?: string;
}

/** Append a record to the log (best effort: stderr still has the message). */
export function logRecord(t: LogTarget, level: 'error' | 'debug', msg: string): void {
  if (!t.log) return;
  const time = new Date().toISOString();
  const line = t.logFormat === 'json'
    ? JSON.stringify({ level, msg, time })
    : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
  try {
    appendFileSync(t.log, `${line}\n`);
  } catch {
    // an unwritable log loses the record, never the command
  }
}
