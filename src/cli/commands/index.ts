/** Every `wasmvisor` subcommand, each registering itself on the program. */
import type { Command } from 'commander';
import { register as version } from './version.js';
import { register as info } from './info.js';
import { register as tag } from './tag.js';
import { register as history } from './history.js';
import { register as volume } from './volume.js';
import { register as system } from './system.js';
import { register as build } from './build.js';
import { register as importCmd } from './import.js';
import { register as run } from './run.js';
import { register as pull } from './pull.js';
import { register as push } from './push.js';
import { register as images } from './images.js';
import { register as rmi } from './rmi.js';
import { register as inspect } from './inspect.js';
import { register as prune } from './prune.js';
import { register as login } from './login.js';
import { register as logout } from './logout.js';
import { register as load } from './load.js';
import { register as save } from './save.js';
import { register as pack } from './pack.js';
import { register as ps } from './ps.js';
import { register as logs } from './logs.js';
import { register as exec } from './exec.js';
import { register as stop } from './stop.js';
import { register as kill } from './kill.js';
import { register as rm } from './rm.js';
import { register as wait } from './wait.js';
import { register as create } from './create.js';
import { register as start } from './start.js';
import { register as attach } from './attach.js';
import { register as restart } from './restart.js';
import { register as pause } from './pause.js';
import { register as stats } from './stats.js';
import { register as top } from './top.js';
import { register as diff } from './diff.js';
import { register as rename } from './rename.js';
import { register as cp } from './cp.js';
import { register as commit } from './commit.js';
import { register as exportCmd } from './export.js';
import { register as serve } from './serve.js';
import { register as port } from './port.js';
import { register as containerPrune } from './container_prune.js';
import { register as completion } from './completion.js';

/** Registration functions, in `--help` order. */
export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  run, create, start, attach, restart, pause, stats, top, diff, cp, commit, exportCmd, rename, ps, port, logs, exec, stop, kill, rm, wait, pull, push, images, rmi, inspect, prune, login, logout, load, save, pack, serve,
];

/** The image, volume and system commands (after COMMANDS in `--help`; `image …`/`container …` groups come last: groups.ts). */
export const IMAGE_COMMANDS: ReadonlyArray<(program: Command) => void> = [build, importCmd, tag, history, volume, system, info, version, containerPrune, completion];
