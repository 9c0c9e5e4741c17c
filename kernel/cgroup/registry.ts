/**
 * The controllers every new cgroup gets, by name, in the order
 * cgroup.controllers lists them (Linux's `cgroup_subsys`). Adding a
 * controller is one file (see memory.ts) plus its line in BUILT_IN, or a
 * `registerController` call (tests, embedders). Registration applies to
 * cgroups made afterwards.
 */
import type { ControllerType } from './controller.js';
import { cpuController } from './cpu.js';
import { ioController } from './io.js';
import { memoryController } from './memory.js';
import { pidsController } from './pids.js';

const BUILT_IN: readonly ControllerType[] = [cpuController, ioController, memoryController, pidsController];

const registered = new Map<string, ControllerType>(BUILT_IN.map((t) => [t.name, t]));

/** Add a controller to every cgroup made from now on; a name may be registered once. */
export function registerController(type: ControllerType): void {
  if (!/^[a-z][a-z0-9_]*$/.test(type.name)) throw new Error(`cgroup controller name ${JSON.stringify(type.name)}: use lower-case letters, digits and _`);
  if (registered.has(type.name)) throw new Error(`cgroup controller ${type.name} is registered already`);
  registered.set(type.name, type);
}

/** Remove a controller registered with `registerController` (a built-in stays). */
export function unregisterController(name: string): void {
  if (BUILT_IN.some((t) => t.name === name)) throw new Error(`cgroup controller ${name} is built in`);
  registered.delete(name);
}

/** The registered controllers, in registration order. */
export function registeredControllers(): readonly ControllerType[] {
  return [...registered.values()];
}
