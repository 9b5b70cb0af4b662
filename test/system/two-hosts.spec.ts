/**
 * The two-host harness itself: each host is isolated (own hostname, own libvirtd reachable over
 * the veth link), a partition cuts A off B's libvirtd and heal restores it, and stop() leaves no
 * namespace, process, lab dir or run record behind. Opt-in: HVS_TEST_SYSTEM=1 as root.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { listNetnsSync, readRecords, RUNS_DIR } from '../harness/netns';
import { startTwoHosts, type TwoHosts } from '../harness/two-hosts';
import { describeSystem } from './gate';

jest.setTimeout(60_000);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describeSystem('two libvirt hosts in network namespaces', () => {
  let hosts: TwoHosts | undefined;

  afterEach(async () => {
    await hosts?.stop();
    hosts = undefined;
  });

  it('gives each host its own hostname and libvirtd; a partition cuts A off B, heal restores it', async () => {
    hosts = await startTwoHosts();
    const { a, b } = hosts;
    expect((await a.run('hostname', [])).stdout.trim()).toBe(a.name);
    expect((await b.run('hostname', [])).stdout.trim()).toBe(b.name);
    expect(a.hostUuid).not.toBe(b.hostUuid);
    const reachB = () => a.run('virsh', ['-q', '-c', b.tcpUri, 'hostname'], 20_000);

    expect(await reachB()).toMatchObject({ code: 0, stdout: expect.stringContaining(b.name) });
    await hosts.partition(b);
    const cut = await reachB();
    expect(cut.code).not.toBe(0);
    expect(cut.stderr).toMatch(/unable to connect to server/);
    // B's libvirtd itself is fine: only the link is down.
    expect((await b.run('virsh', ['-q', '-c', 'qemu:///system', 'hostname'])).stdout.trim()).toBe(b.name);

    await hosts.heal(b);
    expect(await reachB()).toMatchObject({ code: 0, stdout: expect.stringContaining(b.name) });
  });

  it('stop() removes the namespaces, the libvirtd processes, the lab dir and the run record', async () => {
    hosts = await startTwoHosts();
    const { a, b, lab, runId } = hosts;
    const pids = [a.pid(), b.pid()];
    expect(pids.every(alive)).toBe(true);
    expect(listNetnsSync()).toEqual(expect.arrayContaining([a.netns, b.netns]));
    expect(readRecords().map((r) => r.runId)).toContain(runId);

    await hosts.stop();
    hosts = undefined;
    expect(pids.some(alive)).toBe(false);
    expect(listNetnsSync()).not.toEqual(expect.arrayContaining([a.netns]));
    expect(listNetnsSync()).not.toEqual(expect.arrayContaining([b.netns]));
    expect(existsSync(lab)).toBe(false);
    expect(existsSync(path.join(RUNS_DIR, `${runId}.json`))).toBe(false);
  });
});
