import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LibvirtDriver } from '../../src/hypervisor';
import { describeHypervisorDriverContract, until } from './contract';
import { buildTinyGuest, startPrivateLibvirtd, type PrivateLibvirtd } from './private-libvirtd';
import { describeWhen, qemuTier } from '../../../../test/harness/tiers';

/**
 * The contract against a real libvirtd + QEMU (TCG: domain type 'qemu'), booting the tiny guest
 * of test/guest/. The real-QEMU tier: on with HVS_TEST_QEMU=1 (npm test sets it where qemu and
 * libvirtd can start), otherwise skipped saying why.
 */
const describeQemu = describeWhen(qemuTier.ok, qemuTier.why);
const repoRoot = resolve(__dirname, '../../../..');
const BOOT_MARKER = 'HVS_GUEST_BOOTED';
jest.setTimeout(240_000);

const timings: Record<string, number> = {};
const since = (t0: number): number => Math.round(performance.now() - t0);

async function setUp() {
  let t0 = performance.now();
  const guest = await buildTinyGuest(repoRoot);
  timings.guestBuildOrCacheMs = since(t0);
  const logs = await mkdtemp(join(tmpdir(), 'hvs-qemu-logs-'));
  t0 = performance.now();
  let daemon: PrivateLibvirtd;
  try {
    daemon = await startPrivateLibvirtd();
  } catch (e) {
    await rm(logs, { recursive: true, force: true });
    throw e;
  }
  timings.libvirtdStartMs = since(t0);
  const driver = new LibvirtDriver({ uri: daemon.uri, domainType: 'qemu', shutdownPollMs: 100 });
  const domainXml = (name: string, memoryMiB = 128): string => `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>${memoryMiB}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>${guest.kernel}</kernel>
    <initrd>${guest.initrd}</initrd>
    <cmdline>console=ttyS0 quiet panic=-1</cmdline>
  </os>
  <features><acpi/></features>
  <cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model></cpu>
  <on_poweroff>destroy</on_poweroff>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='file'><source path='${logs}/${name}.log' append='on'/><target port='0'/></serial>
    <console type='file'><source path='${logs}/${name}.log' append='on'/><target type='serial' port='0'/></console>
    <memballoon model='none'/>
  </devices>
</domain>`;
  const assertBooted = async (name: string): Promise<void> => {
    const t = performance.now();
    const log = join(logs, `${name}.log`);
    await until(`${BOOT_MARKER} on ${name}'s serial console`, async () => (await readFile(log, 'utf8').catch(() => '')).includes(BOOT_MARKER), 120_000);
    timings.startToMarkerMs = since(t);
  };
  const cleanup = async (): Promise<void> => {
    await driver.close();
    await daemon.stop();
    await rm(logs, { recursive: true, force: true });
  };
  return { daemon, driver, domainXml, assertBooted, cleanup };
}

describeQemu('the real-QEMU tier', () => {
  describeHypervisorDriverContract('LibvirtDriver on a private libvirtd with QEMU/TCG', async () => {
    const s = await setUp();
    return {
      driver: s.driver, domainXml: s.domainXml, assertBooted: s.assertBooted,
      // Generous deadline: TCG on a busy 2-core machine is slow.
      shutdownTimeoutMs: 1500, deadlineMs: 60_000, cleanup: s.cleanup,
    };
  });

  describe('LibvirtDriver on real QEMU/TCG', () => {
    let s: Awaited<ReturnType<typeof setUp>>;
    beforeAll(async () => {
      s = await setUp();
    });
    afterAll(async () => {
      await s?.cleanup();
      console.log(`real QEMU timings (ms): ${JSON.stringify(timings)}`);
    });

    it('says it runs QEMU (TCG), with versions, and gives full domstats', async () => {
      const f = await s.driver.hostFacts();
      expect(f).toMatchObject({ mode: 'qemu', libvirtVersion: expect.stringMatching(/^\d+\./), qemuVersion: expect.stringMatching(/^\d+\./) });
      await s.driver.define('hvs-real-stats', s.domainXml('hvs-real-stats'));
      await s.driver.start('hvs-real-stats');
      const st = await s.driver.stats('hvs-real-stats');
      expect(st).toMatchObject({ state: 'running', detail: 'full' });
      expect(st.cpuTimeNs).toBeGreaterThan(0);
      await s.driver.undefine('hvs-real-stats');
    });

    it('reconnects after libvirtd restarts; the guest keeps running', async () => {
      await s.driver.define('hvs-real-restart', s.domainXml('hvs-real-restart'));
      await s.driver.start('hvs-real-restart');
      await s.assertBooted('hvs-real-restart');
      const t0 = performance.now();
      await s.daemon.restart();
      timings.libvirtdRestartMs = since(t0);
      const t1 = performance.now();
      expect((await s.driver.get('hvs-real-restart'))?.state).toBe('running');
      timings.firstCallAfterRestartMs = since(t1);
      await s.driver.undefine('hvs-real-restart');
      expect(await s.driver.get('hvs-real-restart')).toBeUndefined();
    });
  });
});
