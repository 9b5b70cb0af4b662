/**
 * The two-host harness itself: each host is isolated (own hostname, own libvirtd reachable over
 * the veth link), a partition cuts A off B's libvirtd and heal restores it, and stop() leaves no
 * namespace, process, lab dir or run record behind. Opt-in: HVS_TEST_SYSTEM=1 as root.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { addNetns, listNetnsSync, processStartTime, readRecords, RUNS_DIR, sweepRecord, sweepStaleRuns, writeRecord, type RunRecord } from '../harness/netns';
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

  it('sweeps a run whose owner died (its namespace, processes and lab dir) and leaves unrecorded hvs-* namespaces alone', async () => {
    const id = `stale${process.pid}`;
    const stray = `hvs-${id}-unrecorded`;
    const lab = path.join('/tmp/hvs-lab', `run-${id}`);
    // A dead owner: a process that has exited (its PID no longer matches the recorded start time).
    const dead = spawnSync('sh', ['-c', 'echo $$; cat /proc/$$/stat']);
    const ownerPid = Number(String(dead.stdout).split('\n')[0]);
    const record: RunRecord = {
      runId: id, ownerPid, ownerStart: 'gone', createdAt: new Date().toISOString(), namespaces: [`hvs-${id}-a`], labDir: lab,
    };
    try {
      await addNetns(record.namespaces[0]);
      await addNetns(stray);
      mkdirSync(lab, { recursive: true });
      writeRecord(record);
      expect(processStartTime(process.pid)).toBeDefined();

      expect(sweepStaleRuns()).toContain(id);
      expect(listNetnsSync()).not.toContain(record.namespaces[0]);
      expect(existsSync(lab)).toBe(false);
      expect(readRecords().map((r) => r.runId)).not.toContain(id);
      expect(listNetnsSync()).toContain(stray);
    } finally {
      sweepRecord(record);
      sweepRecord({ ...record, runId: `${id}-stray`, namespaces: [stray], labDir: '/nonexistent' });
    }
  });
});
