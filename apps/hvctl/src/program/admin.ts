/** The tree of `hvctl admin`; commands/admin.ts does the work, loaded when one runs. */
import type { Command } from 'commander';
import type { RotateOpts } from '../commands/admin';
import type { Runtime } from '../commands/runtime';

export function registerAdmin(program: Command, rt: Runtime): void {
  const admin = program.command('admin').description('cluster administration (admin role)');
  admin.command('rotate-encryption-key')
    .description('new key for secrets at rest: re-encrypts every Secret and VM, then retires the old key (needs secrets.rotate; audited; safe to run again after a failure)')
    .option('--timeout <duration>', 'how long to wait for the re-encryption', '5m')
    .option('-o, --output <format>', 'json')
    .addHelpText('after', '\nExample:\n  hvctl admin rotate-encryption-key\n\nDocs: docs/architecture/secrets.md#rotation')
    .action(async (opts: RotateOpts) => (await import('../commands/admin.js')).runRotateEncryptionKey(rt, opts));
}
