/**
 * A truthful CLI: an unknown verb or flag exits 1 naming it and suggesting the closest verb,
 * with or without --help. commander answers -h/--help before it looks for unknown verbs and
 * flags (`hvctl nosuchverb --help` printed the root help and exited 0), so hvctl first parses
 * argv without the help flags on a second copy of the tree whose actions never run, and
 * reports what that parse finds unknown. The copy costs well under a millisecond: building
 * the tree loads nothing (docs/hvctl.md, Start-up).
 */
import { CommanderError, type Command } from 'commander';
import { UnknownNameError } from '../errors';

const HELP_FLAGS = new Set(['-h', '--help']);

class ParsedFine extends Error {}

/**
 * Parses `argv` with `dry` (a fresh tree from buildProgram, used once) minus the help flags;
 * returns the unknown verb or flag it meets, or undefined when every name is known (any other
 * usage mistake is left to the real parse, which reports it the way it always has).
 */
export function findUnknown(dry: Command, argv: readonly string[]): UnknownNameError | undefined {
  let failedIn: Command | undefined;
  for (const cmd of commandsOf(dry)) {
    cmd.configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => void (failedIn = cmd) });
    // commander checks required options before unknown flags: `set-context x --bogus --help` must still name --bogus.
    for (const o of cmd.options) o.mandatory = false;
  }
  dry.hook('preAction', () => {
    throw new ParsedFine();
  });
  const end = argv.indexOf('--');
  const args = argv.filter((a, i) => (end >= 0 && i >= end) || !HELP_FLAGS.has(a));
  try {
    dry.parse([...args], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError) || failedIn === undefined) return undefined;
    if (e.code === 'commander.unknownCommand') return unknownCommand(failedIn, String(failedIn.args[0]));
    if (e.code === 'commander.unknownOption') return unknownFlag(failedIn, /unknown option '([^']*)'/.exec(e.message)?.[1] ?? String(e.message));
  }
  return undefined;
}

/** `hvctl help [command...]` (and `hvctl config help ...`): help of a known command, else the unknown-command error. */
export function addHelpCommand(parent: Command): void {
  parent.command('help').argument('[command...]', 'the command to explain').description('show help for a command')
    .action((names: string[]) => {
      let cmd = parent;
      for (const n of names) {
        const sub = subcommand(cmd, n);
        if (sub === undefined) throw unknownCommand(cmd, n);
        cmd = sub;
      }
      cmd.outputHelp();
    });
}

export function unknownCommand(parent: Command, name: string): UnknownNameError {
  const where = commandPath(parent);
  const verbs = parent.commands.filter((c) => !hidden(c) && c.name() !== 'help').flatMap((c) => [c.name(), ...c.aliases()]);
  const near = closest(name, verbs);
  const close = near.filter((v) => isClose(name, v));
  return new UnknownNameError({
    code: 'HVS-CLI-UNKNOWN-COMMAND',
    message: `unknown command ${JSON.stringify(name)} for ${JSON.stringify(where)}`,
    why: `${where} has no verb of that name`,
    fix: `run \`${where} --help\` for the list of verbs`,
  }, close.length > 0 ? 'Did you mean this?' : 'The closest verb:', close.length > 0 ? close : near.slice(0, 1));
}

export function unknownFlag(cmd: Command, flag: string): UnknownNameError {
  const where = commandPath(cmd);
  const flags: string[] = [];
  // hvctl's global flags are accepted after the verb too (commander's default), so they are candidates.
  for (let c: Command | null = cmd; c; c = c.parent) flags.push(...c.options.filter((o) => !o.hidden).flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined)));
  const bare = flag.split('=')[0]!;
  const close = closest(bare, flags).filter((f) => isClose(bare, f));
  return new UnknownNameError({
    code: 'HVS-CLI-UNKNOWN-FLAG',
    message: `unknown flag ${JSON.stringify(bare)} for ${JSON.stringify(where)}`,
    why: `${where} takes no such flag`,
    fix: `run \`${where} --help\` for its flags`,
  }, 'Did you mean this?', close);
}

function commandsOf(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(commandsOf)];
}

function subcommand(parent: Command, name: string): Command | undefined {
  return parent.commands.find((c) => c.name() === name || c.aliases().includes(name));
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function hidden(c: Command): boolean {
  return (c as unknown as { _hidden?: boolean })._hidden === true;
}

/** kubectl's rule: within 2 edits, or one name is a prefix of the other. */
function isClose(typed: string, candidate: string): boolean {
  const a = typed.replace(/^-+/, '').toLowerCase();
  const b = candidate.replace(/^-+/, '').toLowerCase();
  return distance(a, b) <= 2 || (a.length >= 2 && (b.startsWith(a) || a.startsWith(b)) && b.length >= 2);
}

/** The candidates at the smallest edit distance from `typed` (ties in declaration order, at most 3). */
export function closest(typed: string, candidates: readonly string[]): string[] {
  const t = typed.toLowerCase();
  const scored = [...new Set(candidates)].map((c) => ({ c, d: distance(t, c.toLowerCase()) }));
  const best = Math.min(...scored.map((s) => s.d));
  return scored.filter((s) => s.d === best).slice(0, 3).map((s) => s.c);
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
export function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
