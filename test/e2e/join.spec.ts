/**
 * Joining a second host as an operator does it (docs/joining.md), with the built programs:
 * `hvctl up` (the local agent joins by itself), `hvctl node token create -q` into a 0600 file,
 * a second agent process started with --join/--token-file becomes a Ready node over mTLS, the
 * used token cannot join a third agent, `hvctl node token list|revoke`, and `hvctl diagnose`
 * sees both agents. Every process is stopped and every temp folder removed, also on failure.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { captureOutput, freePort, spawnTracked, stopProcess, waitFor } from '../harness';
import { expectExit, hvctl, HVCTL_MAIN, makeSandbox, recordedProcesses, REPO, teardown, type RecordedProcess, type Sandbox } from './cli';

const AGENT_MAIN = path.join(REPO, 'apps/node-agent/dist/main.js');

interface Obj { metadata: { name: string }; spec: { address?: string }; status?: { conditions?: { type: string; status: string }[] } }

describe('joining a second host with a token (hvctl + agent processes, test driver)', () => {
  let sb: Sandbox | undefined;
  const seen: RecordedProcess[] = [];
  const agents: ChildProcess[] = [];
  let controller = '';

  beforeAll(async () => {
    for (const f of [HVCTL_MAIN, AGENT_MAIN]) if (!fs.existsSync(f)) throw new Error(`${f} is not built: run npm run build (npm test builds first)`);
    sb = makeSandbox('join');
    expectExit('hvctl up', await hvctl(sb, ['up', '--data-dir', sb.dataDir, '--ports', 'auto', '--hypervisor', 'test'], 120_000), 0);
    seen.push(...recordedProcesses(sb.dataDir));
    const state = JSON.parse(fs.readFileSync(path.join(sb.dataDir, 'state.json'), 'utf8')) as { ports: { controllerGrpc: number } };
    controller = `127.0.0.1:${state.ports.controllerGrpc}`;
  }, 150_000);
  afterAll(async () => {
    for (const a of agents) await stopProcess(a, 'SIGTERM');
    await teardown(sb, seen);
  }, 90_000);

  async function startAgent(name: string, tokenFile: string): Promise<{ child: ChildProcess; output: () => string; port: number }> {
    const s = sb!;
    const dir = path.join(s.root, name);
    fs.mkdirSync(path.join(dir, 'pool'), { recursive: true });
    const port = await freePort();
    const child = spawnTracked(process.execPath, [AGENT_MAIN, '--join', controller, '--token-file', tokenFile, '--node-name', name,
      '--listen', `127.0.0.1:${port}`, '--state-dir', path.join(dir, 'state'), '--pools', `default=${path.join(dir, 'pool')}`], {
      env: { ...s.env, HVS_LIBVIRT_URI: 'test:///default', HVS_AGENT_METRICS_LISTEN: 'off', HVS_AGENT_HEARTBEAT_MS: '500' },
    });
    agents.push(child);
    return { child, output: captureOutput(child), port };
  }

  it('the local context is TLS with the CA, and hvctl up left no token file behind', () => {
    const s = sb!;
    expect(fs.readFileSync(path.join(s.dataDir, 'hvctl.yaml'), 'utf8')).toContain(path.join(s.dataDir, 'controller/pki/ca.crt'));
    expect(fs.existsSync(path.join(s.dataDir, 'agent/join-token'))).toBe(false);
    expect(fs.existsSync(path.join(s.dataDir, 'agent/pki/node.crt'))).toBe(true);
  });

  it('token create -q into a 0600 file; the agent joins, registers and turns Ready; the token is used up', async () => {
    const s = sb!;
    const created = expectExit('token create', await hvctl(s, ['node', 'token', 'create', '--node', 'host-2', '--ttl', '10m', '-q']), 0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^hvs1\.[0-9a-f]{16}\.[A-Za-z0-9_-]{43}\.[0-9a-f]{64}$/);
    const listed = expectExit('token list', await hvctl(s, ['node', 'token', 'list']), 0).stdout;
    expect(listed).toContain(token.split('.')[1]);
    expect(listed).not.toContain(token.split('.')[2]);

    const tokenFile = path.join(s.root, 'host-2-token');
    fs.writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const a = await startAgent('host-2', tokenFile);
    const node = await waitFor(async () => {
      const r = await hvctl(s, ['get', 'node', 'host-2', '-o', 'json']);
      if (r.code !== 0) return undefined;
      const n = JSON.parse(r.stdout) as Obj;
      return n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? n : undefined;
    }, { what: `host-2 Ready (agent output: ${a.output()})`, timeoutMs: 40_000 });
    expect(node.spec.address).toBe(`127.0.0.1:${a.port}`);
    expect(a.output()).toContain('joined: certificate for node host-2');
    expect(a.output()).not.toContain(token.split('.')[2]);
    expect(expectExit('token list after', await hvctl(s, ['node', 'token', 'list']), 0).stdout).not.toContain(token.split('.')[1]);

    // The same token on another host: refused, and that agent exits with the reason.
    const b = await startAgent('host-3', tokenFile);
    const code = await new Promise<number | null>((resolve) => b.child.once('exit', resolve));
    expect(code).toBe(1);
    expect(b.output()).toContain('HVS-JOIN-TOKEN-INVALID');
  }, 90_000);

  it('revoke removes an unused token; diagnose checks both agents through the controller', async () => {
    const s = sb!;
    const id = expectExit('create', await hvctl(s, ['node', 'token', 'create', '-o', 'json']), 0);
    const tokenId = (JSON.parse(id.stdout) as { id: string }).id;
    expect(expectExit('revoke', await hvctl(s, ['node', 'token', 'revoke', tokenId]), 0).stdout).toContain(`join token ${tokenId} revoked`);
    expectExit('revoke again', await hvctl(s, ['node', 'token', 'revoke', tokenId]), 1);

    const d = expectExit('diagnose', await hvctl(s, ['diagnose'], 60_000), 0);
    expect(d.stdout).toMatch(/OK\s+controller\s+127\.0\.0\.1:\d+ answers over TLS/);
    expect(d.stdout).toMatch(/OK\s+leader/);
    expect(d.stdout).toMatch(/OK\s+etcd/);
    expect(d.stdout).toContain('host-2 Ready');
    expect(d.stdout).toMatch(/certificate\s+node host-2: valid for 8\d more days/);
    expect(d.stdout).toMatch(/agent host-2: /);
    // No agent confines VMs here (test driver, and this machine has no AppArmor): a warning, with how to turn it on.
    expect(d.stdout).toMatch(/WARN\s+agent host-2: confinement VMs are not confined: /);
    expect(d.stdout).toMatch(/fix: install AppArmor \(apt install apparmor apparmor-utils\)/);
  }, 90_000);
});
