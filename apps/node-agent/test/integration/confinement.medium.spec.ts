/**
 * sVirt on this host, for real: the agent on libvirt's test driver reads libvirt's capabilities
 * (virsh) and the kernel's /sys, reports them with its host facts (what Node.status shows), and
 * its Diagnose (what `hvctl diagnose` prints through the controller) warns that VMs are not
 * confined, with how to turn AppArmor on. Confinement itself is not exercised anywhere here:
 * the test driver confines nothing, and this machine's kernel has no AppArmor.
 */
import { readFileSync } from 'node:fs';
import { WatchView, type agentClient } from '../support/agent-client';
import { until } from '../support/fixtures';
import { startTestDriverAgent } from '../support/test-driver-agent';

/** The oracle, read independently of the agent: on this machine the file is absent (no AppArmor). */
function hostHasAppArmor(): boolean {
  try {
    return readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
  } catch {
    return false;
  }
}

describe('confinement facts and the diagnose warning (libvirt test driver, this host)', () => {
  let stop: () => Promise<void>;
  let client: ReturnType<typeof agentClient>;
  let watch: WatchView;

  beforeAll(async () => {
    ({ client, stop } = await startTestDriverAgent('hvs-agent-svirt-'));
    watch = new WatchView(client.raw);
  });
  afterAll(async () => {
    watch?.cancel();
    await stop?.();
  });

  it('reports libvirt\'s security models and no confinement with its host facts', async () => {
    const snap = await until('the snapshot', () => watch.snapshot);
    expect(snap.host).toMatchObject({ securityModels: ['testSecurity'], confinement: '', apparmorEnabled: hostHasAppArmor() });
  });

  it('diagnose warns that VMs are not confined, with how to turn AppArmor on', async () => {
    const check = (await client.diagnose()).checks.find((c) => c.name === 'confinement');
    expect(check).toMatchObject({ ok: false, warning: true, message: expect.stringMatching(/^VMs are not confined: /) });
    expect(check?.fix).toMatch(/apt install apparmor apparmor-utils/);
    expect(check?.fix).toMatch(/security_driver = "apparmor" in \/etc\/libvirt\/qemu\.conf/);
    expect(check?.fix).toMatch(/apparmor=1/);
  });
});
