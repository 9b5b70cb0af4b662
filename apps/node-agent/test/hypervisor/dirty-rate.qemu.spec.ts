import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isDirtyRateSampling, LibvirtDriver } from '../../src/hypervisor';
import { until } from './contract';
import { buildTinyGuest, startPrivateLibvirtd, type PrivateLibvirtd } from './private-libvirtd';
import { describeWhen, qemuTier } from '../../../../test/harness/tiers';

/**
 * The dirty-rate ability on a real libvirtd + QEMU under TCG (page-sampling mode): the tiny
 * guest of test/guest/ is measured with `virsh domdirtyrate-calc` + `domstats --dirtyrate`.
 * The real-QEMU tier, like libvirt.qemu.spec.ts: skipped, saying why, unless HVS_TEST_QEMU=1.
 */
const repoRoot = resolve(__dirname, '../../../..');
jest.setTimeout(240_000);

describeWhen(qemuTier.ok, qemuTier.why)('dirty-rate sampling on real QEMU/TCG', () => {
  let daemon: PrivateLibvirtd | undefined;
  let driver: LibvirtDriver | undefined;
  let logs = '';
  beforeAll(async () => {
    logs = await mkdtemp(join(tmpdir(), 'hvs-dirtyrate-'));
    daemon = await startPrivateLibvirtd();
    driver = new LibvirtDriver({ uri: daemon.uri, domainType: 'qemu', shutdownPollMs: 100 });
  });
  afterAll(async () => {
    await driver?.close();
    await daemon?.stop();
    await rm(logs, { recursive: true, force: true });
  });

  it('measures a running guest: a finite rate over the asked period; a stopped domain is refused', async () => {
    const guest = await buildTinyGuest(repoRoot);
    const name = 'hvs-dirtyrate';
    const log = join(logs, `${name}.log`);
    await driver!.define(name, `<domain type='qemu'><name>${name}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='q35'>hvm</type><kernel>${guest.kernel}</kernel><initrd>${guest.initrd}</initrd><cmdline>console=ttyS0 quiet panic=-1</cmdline></os>
<cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model></cpu>
<devices><emulator>/usr/bin/qemu-system-x86_64</emulator><serial type='file'><source path='${log}' append='on'/><target port='0'/></serial><memballoon model='none'/></devices></domain>`);
    await driver!.start(name);
    await until('the guest booted', async () => (await readFile(log, 'utf8').catch(() => '')).includes('HVS_GUEST_BOOTED'), 120_000);
    expect(isDirtyRateSampling(driver!)).toBe(true);
    const t0 = performance.now();
    const s = await driver!.sampleDirtyRate(name, 1);
    console.log(`dirty rate under TCG: ${JSON.stringify(s)} in ${Math.round(performance.now() - t0)} ms`);
    expect(s.periodSeconds).toBe(1);
    expect(Number.isFinite(s.bytesPerSecond) && s.bytesPerSecond >= 0).toBe(true);
    expect(s.mode).toMatch(/page-sampling|dirty-bitmap|dirty-ring/);
    await driver!.destroy(name);
    await expect(driver!.sampleDirtyRate(name, 1)).rejects.toMatchObject({ code: expect.stringMatching(/^HVS-LIBVIRT-/) });
    await driver!.undefine(name);
  });
});
