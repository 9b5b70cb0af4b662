#!/usr/bin/env node
/** hvctl entry point (package.json `bin`). Exit codes: see `hvctl --help` and docs/hvctl.md. */
import { runCli } from './cli';
import { processIo } from './io';

export async function main(): Promise<void> {
  const code = await runCli(process.argv.slice(2), processIo());
  // stdout/stderr writes to files and pipes are synchronous on Linux: nothing is lost.
  process.exit(code);
}

if (require.main === module) void main();
