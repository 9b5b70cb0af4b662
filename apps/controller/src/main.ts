/**
 * Controller entry point: `node dist/main.js [--config FILE]`, settings from HVS_*
 * variables (docs/controller-config.md). Exits 1 with one line per problem on a bad
 * configuration; exits 0 after a clean SIGTERM/SIGINT shutdown.
 */
import 'reflect-metadata';
import { processIo, runController } from './app/run';

export async function main(): Promise<void> {
  const result = await runController(process.argv.slice(2), process.env, processIo);
  const code = typeof result === 'number' ? result : await result.stopped;
  processIo.exit(code);
}

// Started as a program (not imported by a test): run.
if (require.main === module) void main();
