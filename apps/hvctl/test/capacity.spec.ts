import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../src/cli';
import { fakeIo } from './fake-io';
import { startFakeController, type FakeController } from './fake-controller';

let fake: FakeController;
let tmp: string;

beforeEach(async () => {
  fake = await startFakeController();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hvctl-capacity-'));
});
afterEach(async () => {
  await fake.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function hvctl(args: string[]) {
  const io = fakeIo({ env: { HOME: tmp } });
  const code = await runCli(['--server', fake.address, ...args], io);
  return { code, io };
}

const GiB = 1024 ** 3;
function putNode(name: string, memGiB: number): void {
  fake.objects.set(`Node/${name}`, {
    apiVersion: 'hvs/v1', kind: 'Node', metadata: { name }, spec: {},
    status: { capacity: { cpus: 8, memoryBytes: memGiB * GiB }, conditions: [{ type: 'Ready', status: 'True' }] },
  } as never);
}
function putVm(name: string, node: string, memory: string, ha: boolean): void {
  fake.objects.set(`VirtualMachine/${name}`, {
    apiVersion: 'hvs/v1', kind: 'VirtualMachine', metadata: { name },
    spec: { cpu: { cores: 1 }, memory: { size: memory }, disks: [], networks: [], runState: 'Running', ...(ha ? { ha: { restartPolicy: 'Always' } } : {}) },
    status: { node, phase: 'Running' },
  } as never);
}

describe('hvctl capacity (N+1)', () => {
  it('OK: says where each HA VM would restart; exit 0', async () => {
    putNode('a', 8);
    putNode('b', 8);
    putVm('web', 'a', '2GiB', true);
    putVm('batch', 'b', '4GiB', false);
    const { code, io } = await hvctl(['capacity', '--exit-code']);
    expect(code).toBe(0);
    expect(io.stdout()).toBe('N+1: OK, every HA VM fits if any one host fails\n  a fails: 1/1 HA VMs restart (web -> b)\n  b: no HA VMs\n');
  });

  it('NOT OK: names the VM and the per-node reason; --exit-code exits 2; -o json carries the report', async () => {
    putNode('a', 8);
    putNode('b', 8);
    putVm('db', 'a', '6GiB', true);
    putVm('web', 'b', '4GiB', true);
    const { code, io } = await hvctl(['capacity', '--exit-code']);
    expect(code).toBe(2);
    expect(io.stdout()).toContain('N+1: NOT OK');
    expect(io.stdout()).toContain('db would NOT restart: 0/1 node can run the VM: b: 4 GiB free < 6 GiB requested');
    const json = await hvctl(['capacity', '-o', 'json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.io.stdout())).toMatchObject({ ok: false, hosts: [{ node: 'a', unplaced: [{ vm: 'db' }] }, { node: 'b', unplaced: [{ vm: 'web' }] }] });
  });

  it('a migration in flight holds its target: N+1 turns NOT OK while it runs', async () => {
    putNode('a', 8);
    putNode('b', 8);
    putNode('c', 8);
    putVm('web', 'a', '4GiB', true);
    putVm('batch', 'c', '6GiB', false);
    expect((await hvctl(['capacity', '--exit-code'])).code).toBe(0);
    fake.objects.set('Migration/batch-1', {
      apiVersion: 'hvs/v1', kind: 'Migration', metadata: { name: 'batch-1' },
      spec: { vm: 'batch', targetNode: 'b', mode: 'live' }, status: { phase: 'Running', targetNode: 'b' },
    } as never);
    const { code, io } = await hvctl(['capacity', '--exit-code']);
    expect(code).toBe(2);
    expect(io.stdout()).toContain('web would NOT restart');
  });
});
