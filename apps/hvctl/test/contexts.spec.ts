import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HvsError } from '@hvs/domain';
import { runCli } from '../src/cli';
import { configPath, readConfig, resolveContext } from '../src/config/contexts';
import { fakeIo } from './fake-io';

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'hvctl-home-'));
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

describe('contexts file location', () => {
  it('is ~/.config/hvs/config.yaml, $XDG_CONFIG_HOME/hvs/config.yaml, or $HVS_CONFIG', () => {
    expect(configPath({ HOME: '/h' })).toBe('/h/.config/hvs/config.yaml');
    expect(configPath({ HOME: '/h', XDG_CONFIG_HOME: '/x' })).toBe('/x/hvs/config.yaml');
    expect(configPath({ HOME: '/h', XDG_CONFIG_HOME: '/x', HVS_CONFIG: '/c/my.yaml' })).toBe('/c/my.yaml');
  });
});

describe('hvctl config', () => {
  it('set-context writes a 0600 file; the first context becomes current; get-contexts marks it', async () => {
    const env = { HOME: home };
    let io = fakeIo({ env });
    expect(await runCli(['config', 'set-context', 'lab', '--controller', '10.0.0.5:7443', '--token-file', '/etc/hvs/token'], io)).toBe(0);
    const file = path.join(home, '.config/hvs/config.yaml');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(file, 'utf8')).not.toMatch(/secret/);
    expect(await runCli(['config', 'set-context', 'local', '--controller', '127.0.0.1:7443'], io)).toBe(0);
    io = fakeIo({ env });
    expect(await runCli(['config', 'get-contexts'], io)).toBe(0);
    expect(io.stdout()).toBe([
      'CURRENT   NAME    CONTROLLER       CREDENTIALS',
      '*         lab     10.0.0.5:7443    token (/etc/hvs/token)',
      '          local   127.0.0.1:7443   insecure',
      '',
    ].join('\n'));
  });

  it('use-context switches; HVS_CONTEXT and --context override the current one', async () => {
    const env: NodeJS.ProcessEnv = { HOME: home };
    await runCli(['config', 'set-context', 'a', '--controller', 'a.example:1'], fakeIo({ env }));
    await runCli(['config', 'set-context', 'b', '--controller', 'b.example:2'], fakeIo({ env }));
    expect(readConfig(env).currentContext).toBe('a');
    const io = fakeIo({ env });
    expect(await runCli(['config', 'use-context', 'b'], io)).toBe(0);
    expect(io.stdout()).toBe('Switched to context "b".\n');
    expect(resolveContext(readConfig(env), env).controller).toBe('b.example:2');
    expect(resolveContext(readConfig(env), { ...env, HVS_CONTEXT: 'a' }).controller).toBe('a.example:1');
    expect(resolveContext(readConfig(env), { ...env, HVS_CONTEXT: 'a' }, 'b').controller).toBe('b.example:2');
    const cur = fakeIo({ env: { ...env, HVS_CONTEXT: 'a' } });
    expect(await runCli(['config', 'current-context'], cur)).toBe(0);
    expect(cur.stdout()).toBe('a\n');
  });

  it('without any config the default is the local controller on 127.0.0.1:7443', () => {
    expect(resolveContext(readConfig({ HOME: home }), { HOME: home })).toEqual({ name: '(default)', controller: '127.0.0.1:7443', credentials: { type: 'insecure' } });
  });

  it('an unknown context is an error that names the known ones', async () => {
    const env = { HOME: home };
    await runCli(['config', 'set-context', 'a', '--controller', 'a.example:1'], fakeIo({ env }));
    expect(() => resolveContext(readConfig(env), env, 'nope')).toThrow(HvsError);
    const io = fakeIo({ env });
    expect(await runCli(['--context', 'nope', 'get', 'vms'], io)).toBe(1);
    expect(io.stderr()).toMatch(/^error: HVS-CLI-CONTEXT-NOT-FOUND: context "nope" does not exist .*use one of: a/);
  });

  it('refuses bad names and addresses, and reports a broken file with a fix', async () => {
    const env = { HOME: home };
    let io = fakeIo({ env });
    expect(await runCli(['config', 'set-context', 'bad name', '--controller', 'x:1'], io)).toBe(1);
    expect(io.stderr()).toContain('HVS-CLI-CONTEXT-NAME-INVALID');
    io = fakeIo({ env });
    expect(await runCli(['config', 'set-context', 'ok', '--controller', 'no-port'], io)).toBe(1);
    expect(io.stderr()).toContain('HVS-CLI-CONTROLLER-ADDRESS-INVALID');
    fs.mkdirSync(path.join(home, '.config/hvs'), { recursive: true });
    fs.writeFileSync(path.join(home, '.config/hvs/config.yaml'), 'contexts: [{name: x}]\n');
    io = fakeIo({ env });
    expect(await runCli(['get', 'vms'], io)).toBe(1);
    expect(io.stderr()).toMatch(/HVS-CLI-CONFIG-INVALID: .*controller must be host:port; fix: /);
  });
});
