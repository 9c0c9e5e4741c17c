/** args_get, args_sizes_get, environ_get, environ_sizes_get. */
import { type Sizes, type SizesArgs, type StringsArgs, stringsSize } from '../abi/calls_misc.js';
import type { Task } from '../task/task.js';

/** `args_sizes_get`. */
export function args_sizes_get(task: Task, _a: SizesArgs): Sizes {
  return { count: task.args.length, bytes: stringsSize(task.args) };
}

/** `args_get`: the ABI writes the pointers and NUL-terminated strings. */
export function args_get(task: Task, _a: StringsArgs): readonly string[] {
  return task.args;
}

/** `environ_sizes_get`. */
export function environ_sizes_get(task: Task, _a: SizesArgs): Sizes {
  return { count: task.env.length, bytes: stringsSize(task.env) };
}

/** `environ_get`. */
export function environ_get(task: Task, _a: StringsArgs): readonly string[] {
  return task.env;
}
