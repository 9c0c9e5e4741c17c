/**
 * SentryTasks over a recording transport, for tests that drive the sentry
 * platform's kernel side by hand: answers are recorded (copied: SentryTasks
 * reuses its reply object), posted work is queued for the test to run, and
 * timers never fire.
 */
import { SentryTasks } from '../../kernel/platform/sentry.js';
import type { SentryReply } from '../../kernel/platform/sentry_protocol.js';

/** A SentryTasks whose answers land in `responses` and whose posted work waits in `posted`. */
export function recordingSentryTasks(): { tasks: SentryTasks; posted: (() => void)[]; responses: [number, SentryReply][] } {
  const posted: (() => void)[] = [];
  const responses: [number, SentryReply][] = [];
  const tasks = new SentryTasks({
    respond: (id, r) => responses.push([id, { ...r }]),
    post: (fn) => posted.push(fn),
    setTimer: () => () => {},
  });
  return { tasks, posted, responses };
}
