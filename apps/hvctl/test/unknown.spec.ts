/**
 * A truthful CLI (issue 11, item 7): an unknown verb or flag exits 1 naming it, with or
 * without --help, with a stable code and the closest verb; known verbs still answer --help
 * with exit 0. In-process here (every case, fast); test/e2e/hvctl-usage.spec.ts runs the
 * built binary for the same promise.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../src/cli';
import { closest, distance } from '../src/program/unknown';
import { fakeIo } from './fake-io';

let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hvctl-unknown-'))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function hvctl(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = fakeIo({ env: { HOME: tmp, HVS_CONFIG: path.join(tmp, 'config.yaml') } });
  const code = await runCli(argv, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

const VERB_FIX = 'fix: run `hvctl --help` for the list of verbs';

describe('an unknown verb', () => {
  it.each([
    [['nosuchverb']], [['nosuchverb', '--help']], [['nosuchverb', '-h']], [['--debug', 'nosuchverb', '--help']], [['help', 'nosuchverb']],
  ])('hvctl %j exits 1 naming it, with the code and the closest verb; nothing on stdout', async (argv) => {
    const r = await hvctl(argv);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe(`error: HVS-CLI-UNKNOWN-COMMAND: unknown command "nosuchverb" for "hvctl": hvctl has no verb of that name; ${VERB_FIX}\n\nThe closest verb:\n\tnodes\n`);
  });

  it('a near miss is suggested as kubectl does ("Did you mean this?"), also with --help', async () => {
    for (const argv of [['aply'], ['aply', '--help'], ['delte', 'vm', 'x', '--help']]) {
      const r = await hvctl(argv);
      expect(r.code).toBe(1);
      const verb = argv[0]!;
      expect(r.err).toBe(`error: HVS-CLI-UNKNOWN-COMMAND: unknown command "${verb}" for "hvctl": hvctl has no verb of that name; ${VERB_FIX}\n\nDid you mean this?\n\t${verb === 'aply' ? 'apply' : 'delete'}\n`);
    }
  });

  it.each([
    [['usr', 'list'], 'hvctl', 'user'],
    [['tokn', 'create', '--help'], 'hvctl', 'token'],
    [['auth', 'whoam'], 'hvctl auth', 'whoami'],
    [['auth', 'cani', '--help'], 'hvctl auth', 'can-i'],
    [['user', 'delte', 'x'], 'hvctl user', 'delete'],
  ])('the identity verbs are suggested too: hvctl %j', async (argv, where, verb) => {
    const r = await hvctl(argv);
    expect(r).toMatchObject({ code: 1, out: '' });
    expect(r.err).toContain(`for "${where}"`);
    expect(r.err).toContain(`\n\nDid you mean this?\n\t${verb}\n`);
  });

  it('a verb that does not exist yet (vnc) is unknown too, not the root help', async () => {
    const r = await hvctl(['vnc', '--help']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^error: HVS-CLI-UNKNOWN-COMMAND: unknown command "vnc" for "hvctl"/);
  });

  it('under a verb with subcommands (config) the error names that verb and its closest subcommand', async () => {
    for (const argv of [['config', 'use-ctx'], ['config', 'use-ctx', '--help'], ['config', 'help', 'use-ctx']]) {
      const r = await hvctl(argv);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^error: HVS-CLI-UNKNOWN-COMMAND: unknown command "use-ctx" for "hvctl config": hvctl config has no verb of that name; fix: run `hvctl config --help`[^\n]*\n\nThe closest verb:\n\tuse-context\n$/);
    }
  });
});

describe('an unknown flag', () => {
  it.each([
    [['get', 'vms', '--nosuchflag'], 'hvctl get'],
    [['get', 'vms', '--nosuchflag', '--help'], 'hvctl get'],
    [['--nosuchflag', '--help'], 'hvctl'],
    [['--help', '--nosuchflag'], 'hvctl'],
    [['config', 'set-context', 'lab', '--nosuchflag', '--help'], 'hvctl config set-context'],
    [['version', '--nosuchflag=1'], 'hvctl version'],
  ])('hvctl %j exits 1 naming the flag and the command (%s)', async (argv, where) => {
    const r = await hvctl(argv);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe(`error: HVS-CLI-UNKNOWN-FLAG: unknown flag "--nosuchflag" for "${where}": ${where} takes no such flag; fix: run \`${where} --help\` for its flags\n`);
  });

  it('a misspelt flag suggests the real one, a global one too', async () => {
    let r = await hvctl(['get', 'vms', '--selectr', 'a=b']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/HVS-CLI-UNKNOWN-FLAG: unknown flag "--selectr" for "hvctl get"[^\n]*\n\nDid you mean this\?\n\t--selector\n$/);
    r = await hvctl(['get', 'vms', '--sever', 'x:1']);
    expect(r.err).toMatch(/\n\nDid you mean this\?\n\t--server\n$/);
  });

  it('an argument after -- is not a flag', async () => {
    const r = await hvctl(['config', 'use-context', '--', '--help']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: HVS-CLI-CONTEXT-[A-Z-]+: [^\n]*"--help"/);
  });
});

describe('known verbs are unchanged', () => {
  it.each([[['--help']], [['-h']], [['get', '--help']], [['config', 'set-context', '--help']], [['help']], [['help', 'get']], [['help', 'config', 'use-context']], [['config', 'help', 'use-context']]])(
    'hvctl %j prints help on stdout and exits 0', async (argv) => {
      const r = await hvctl(argv);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^Usage: hvctl/);
    });

  it('help of a verb is that verb\'s help', async () => {
    expect((await hvctl(['help', 'get'])).out).toBe((await hvctl(['get', '--help'])).out);
    expect((await hvctl(['config', 'help', 'use-context'])).out).toBe((await hvctl(['config', 'use-context', '--help'])).out);
  });

  it('other usage mistakes keep their own message (missing argument, bad value)', async () => {
    const r = await hvctl(['get']);
    expect(r.code).toBe(1);
    expect(r.err).toBe("error: HVS-CLI-USAGE: missing required argument 'kind'\n(run with --help for usage)\n");
  });
});

describe('closest names', () => {
  it.each([
    ['apply', 'apply', 0], ['aply', 'apply', 1], ['aplpy', 'apply', 1], ['delte', 'delete', 1], ['', 'abc', 3], ['nosuchverb', 'nodes', 7],
  ])('distance(%s, %s) = %d', (a, b, d) => {
    expect(distance(a, b)).toBe(d);
    expect(distance(b, a)).toBe(d);
  });

  it('closest keeps every tie (at most 3) in declaration order', () => {
    expect(closest('stat', ['start', 'stop', 'state'])).toEqual(['start', 'state']);
    expect(closest('x', ['a', 'b', 'c', 'd'])).toEqual(['a', 'b', 'c']);
  });
});
