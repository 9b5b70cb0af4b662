/**
 * The hvctl program: global flags, every command, and the one place errors become stderr
 * text and exit codes (no stack trace unless --debug).
 *
 * Start-up cost is paid per command, not for all of them: this module and src/program/*
 * declare the whole command tree (names, flags, help: what --help and completion show) and
 * load nothing heavy; each action imports the module that does its work, and only commands
 * that call the controller load @grpc/grpc-js, the generated proto code and @hvs/domain's
 * schemas. test/startup.spec.ts holds that line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerCompletion } from './commands/completion';
import { registerNodeToken } from './commands/node-token';
import { registerApply } from './program/apply';
import { registerConfig } from './program/config';
import { registerEvents } from './program/events';
import { registerGet } from './program/get';
import { registerImages } from './program/images';
import { registerApiTokens, registerAuth, registerUsers } from './program/identity';
import { registerLocal } from './program/local';
import { registerMutations } from './program/mutate';
import { registerAdmin } from './program/admin';
import { registerCapacity, registerDiagnose, registerDrain, registerMigrate } from './program/operations';
import { addHelpCommand, findUnknown } from './program/unknown';
import { Runtime, type GlobalFlags } from './commands/runtime';
import { CliExit, EXIT, EXIT_CODES_HELP, formatError } from './errors';
import type { CliIo } from './io';

export function hvctlVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function buildProgram(io: CliIo): { program: Command; rt: Runtime } {
  const program = new Command('hvctl');
  const rt = new Runtime(io, () => program.opts<GlobalFlags>());
  program
    .description('Hypervisor Suite command-line client: apply manifests, inspect and operate VMs, run a single-host system')
    .option('--context <name>', 'context to use (default: HVS_CONTEXT, then current-context)')
    .option('-s, --server <host:port>', "override the context's controller address")
    .option('--request-timeout <duration>', 'deadline of each API call', '10s')
    .option('--debug', 'print stack traces with errors')
    .option('--no-color', 'never colour output (NO_COLOR=1 does the same)')
    .exitOverride()
    // commander's own usage errors get the stable code every hvctl error carries.
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s), outputError: (s, write) => write(s.replace(/^error: /, 'error: HVS-CLI-USAGE: ')) })
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError(true)
    .addHelpText('after', `\n${EXIT_CODES_HELP}\n\nEnvironment:\n  HVS_CONTEXT   context to use\n  HVS_CONFIG    contexts file (default $XDG_CONFIG_HOME/hvs/config.yaml or ~/.config/hvs/config.yaml)\n  NO_COLOR      never colour output\n\nDocs: docs/hvctl.md`);
  registerApply(program, rt);
  registerGet(program, rt);
  registerMutations(program, rt);
  registerEvents(program, rt);
  registerImages(program, rt);
  registerMigrate(program, rt);
  registerDrain(program, rt);
  registerCapacity(program, rt);
  registerNodeToken(program, rt);
  registerDiagnose(program, rt);
  registerUsers(program, rt);
  registerApiTokens(program, rt);
  registerAuth(program, rt);
  registerAdmin(program, rt);
  registerConfig(program, rt);
  registerLocal(program, rt);
  registerCompletion(program, rt);
  program.command('version').description('print the hvctl version').option('-o, --output <format>', 'json')
    .action((opts: { output?: string }) => {
      const v = { client: hvctlVersion(), node: process.versions.node };
      rt.io.out(opts.output === 'json' ? `${JSON.stringify(v)}\n` : `hvctl ${v.client} (node ${v.node})\n`);
    });
  // Our own `help` verb (commander's implicit one prints the root help for an unknown name).
  for (const c of [program, ...program.commands]) if (c.commands.length > 0) addHelpCommand(c);
  return { program, rt };
}

/** Runs hvctl with `argv` (without node and script) and returns the exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const dry = buildProgram(io);
  dry.rt.close();
  const unknown = findUnknown(dry.program, argv);
  if (unknown !== undefined) {
    io.err(formatError(unknown, false));
    return EXIT.error;
  }
  const { program, rt } = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CliExit) return e.exitCode;
    if (e instanceof CommanderError) {
      // Help and version print and exit 0; every usage mistake exits 1 (commander printed it).
      return e.exitCode === 0 ? EXIT.ok : EXIT.error;
    }
    io.err(formatError(e, argv.includes('--debug')));
    return EXIT.error;
  } finally {
    rt.close();
  }
}
