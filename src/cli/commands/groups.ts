/**
 * podman's command groups: `image ls`, `image rm`, `container ps`,
 * `container logs`, `system info`, ... name the top-level commands. The
 * mapping is by podman's subcommand names; a subcommand appears only when
 * its top-level command is registered, so commands added later show up in
 * their group without an edit here. `main` rewrites `GROUP SUB` to the
 * top-level name before parsing (`image ls --help` is `images --help`); the
 * group's own entries only carry the help text.
 */
import type { Command } from 'commander';

/** Group → podman subcommand → top-level command (a name missing from the map is the same name). */
export const GROUPS: Readonly<Record<string, { description: string; subs: Readonly<Record<string, string>> }>> = {
  image: {
    description: 'manage images (podman\'s image subcommands, each the top-level command of that name)',
    subs: {
      build: 'build', history: 'history', import: 'import', inspect: 'inspect', list: 'images', ls: 'images', load: 'load', pack: 'pack',
      prune: 'prune', pull: 'pull', push: 'push', rm: 'rmi', save: 'save', tag: 'tag', untag: 'untag',
    },
  },
  container: {
    description: 'manage containers (podman\'s container subcommands, each the top-level command of that name)',
    subs: {
      attach: 'attach', commit: 'commit', cp: 'cp', create: 'create', diff: 'diff', exec: 'exec', export: 'export', inspect: 'inspect',
      kill: 'kill', list: 'ps', ls: 'ps', ps: 'ps', logs: 'logs', pause: 'pause', port: 'port', rename: 'rename', restart: 'restart', rm: 'rm',
      run: 'run', start: 'start', stats: 'stats', stop: 'stop', top: 'top', unpause: 'unpause', wait: 'wait',
    },
  },
  system: { description: 'system-wide information and cleanup', subs: { info: 'info' } },
};

/** `GROUP SUB ARGS` → `TARGET ARGS` when TARGET is a command of `program` (global options before GROUP are kept). */
export function rewriteGroupArgv(argv: readonly string[], program: Command): string[] {
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-')) i += argv[i] === '--root' ? 2 : 1;
  const group = GROUPS[argv[i] ?? ''];
  const target = group && Object.hasOwn(group.subs, argv[i + 1] ?? '') ? group.subs[argv[i + 1]!]! : undefined;
  if (target === undefined || !program.commands.some((c) => c.name() === target)) return [...argv];
  return [...argv.slice(0, i), target, ...argv.slice(i + 2)];
}

/** Add the groups' help entries for every registered target; call after every command is registered. */
export function registerGroups(program: Command): void {
  for (const [name, g] of Object.entries(GROUPS)) {
    const group = program.commands.find((c) => c.name() === name) ?? program.command(name).description(g.description);
    for (const [sub, target] of Object.entries(g.subs)) {
      const cmd = program.commands.find((c) => c.name() === target);
      if (cmd === undefined || group.commands.some((c) => c.name() === sub)) continue;
      group.command(sub)
        .description(`${cmd.description()} (= wasmvisor ${target}; see wasmvisor ${target} --help)`)
        .helpOption(false).allowUnknownOption().allowExcessArguments().argument('[args...]')
        .action(() => {
          throw new Error(`wasmvisor ${name} ${sub}: run it through main() (it is wasmvisor ${target})`);
        });
    }
  }
}
