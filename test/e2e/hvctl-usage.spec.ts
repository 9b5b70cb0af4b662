/**
 * The built hvctl as a script sees it (issue 11, item 7): an unknown verb or flag exits 1,
 * with or without --help, naming it and the closest verb on stderr and printing nothing on
 * stdout; a known verb's --help exits 0. No controller is needed: nothing here may reach one.
 */
import * as fs from 'node:fs';
import { expectExit, hvctl, HVCTL_MAIN, makeSandbox, type Sandbox } from './cli';

let sb: Sandbox;
beforeAll(() => {
  if (!fs.existsSync(HVCTL_MAIN)) throw new Error(`${HVCTL_MAIN} is not built: run npm run build (npm test builds first)`);
  sb = makeSandbox('usage');
});
afterAll(() => fs.rmSync(sb.root, { recursive: true, force: true }));

describe('hvctl usage as a process', () => {
  it.each([[['nosuchverb']], [['nosuchverb', '--help']], [['vnc', '--help']]])('hvctl %j exits 1 with HVS-CLI-UNKNOWN-COMMAND and the closest verb', async (argv) => {
    const r = expectExit(`hvctl ${argv.join(' ')}`, await hvctl(sb, argv), 1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^error: HVS-CLI-UNKNOWN-COMMAND: unknown command "${argv[0]}" for "hvctl": .*; fix: run \`hvctl --help\` for the list of verbs\\n\\nThe closest verb:\\n\\t[a-z]+\\n$`));
  });

  it('a near miss: "Did you mean this?" with the verb', async () => {
    const r = expectExit('hvctl aply --help', await hvctl(sb, ['aply', '--help']), 1);
    expect(r.stderr).toMatch(/\n\nDid you mean this\?\n\tapply\n$/);
  });

  it.each([[['get', 'vms', '--nosuchflag']], [['get', 'vms', '--nosuchflag', '--help']]])('hvctl %j exits 1 with HVS-CLI-UNKNOWN-FLAG', async (argv) => {
    const r = expectExit(`hvctl ${argv.join(' ')}`, await hvctl(sb, argv), 1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('error: HVS-CLI-UNKNOWN-FLAG: unknown flag "--nosuchflag" for "hvctl get": hvctl get takes no such flag; fix: run `hvctl get --help` for its flags\n');
  });

  it('delete with both NAMEs and -l is a usage error before any controller is called', async () => {
    const r = expectExit('hvctl delete vm a b -l app=web', await hvctl(sb, ['--server', '127.0.0.1:1', 'delete', 'vm', 'a', 'b', '-l', 'app=web']), 1);
    expect(r.stderr).toMatch(/^error: HVS-CLI-USAGE: give either NAMEs or -l SELECTOR, not both; fix: /);
  });

  it.each([[['--help']], [['get', '--help']], [['help', 'delete']]])('hvctl %j prints help and exits 0', async (argv) => {
    const r = expectExit(`hvctl ${argv.join(' ')}`, await hvctl(sb, argv), 0);
    expect(r.stdout).toMatch(/^Usage: hvctl/);
    expect(r.stderr).toBe('');
  });
});
