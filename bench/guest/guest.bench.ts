/**
 * Guest boot figures (prints them; asserts nothing about time): for the local Debian 12 cloud
 * image on QEMU/TCG, N fresh guests one after the other in lab host A, each a new qcow2 overlay
 * on the cached image with its own NoCloud seed (new instance-id: cloud-init's first boot every
 * time), one virtio NIC on a bridge with a DHCP-only dnsmasq in A's namespace. Per run:
 * `virsh start` -> DHCP lease in dnsmasq's lease file, and -> `ssh debian@IP hostname` answering
 * (from inside A's namespace). Then p50/p95. This is the path below the product (define +
 * start); the product's apply -> IP adds the controller/agent round trips (seconds) on top.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { waitFor } from '../../test/harness/processes';
import { startTwoHosts, type TwoHosts } from '../../test/harness/two-hosts';
import {
  buildDebianImage, debianGuestXml, leasedIp, POOL, since, sshInHost, sshKeygen, startBridge, virsh, writeSeed, type LabBridge,
} from '../../test/system/debian-guest';
import { describeSystem } from '../../test/system/gate';

const RUNS = Number(process.env.HVS_GUEST_BENCH_RUNS ?? 5);
const MEMORY_MIB = Number(process.env.HVS_GUEST_BENCH_MEMORY_MIB ?? 256);
const BOOT_TIMEOUT_MS = 600_000;

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]!;
}

describeSystem('bench: Debian cloud image launch -> lease -> SSH on TCG', () => {
  let hosts: TwoHosts | undefined;
  let bridge: LabBridge | undefined;

  afterAll(async () => {
    await bridge?.stop();
    await hosts?.stop();
  });

  it(`${RUNS} runs`, async () => {
    const image = await buildDebianImage(path.resolve(__dirname, '../..'));
    hosts = await startTwoHosts();
    const a = hosts.a;
    fs.copyFileSync(image.file, a.pathOnHost(`${POOL}/debian-12-hvs.qcow2`));
    const keys = path.join(hosts.lab, 'keys');
    fs.mkdirSync(keys, { mode: 0o700 });
    const { key, publicKey } = await sshKeygen(keys);
    bridge = await startBridge(a, 'hvsbench0', '192.168.151.1');
    const lease: number[] = [];
    const ssh: number[] = [];
    for (let i = 1; i <= RUNS; i++) {
      const name = `hvs-bench-${i}`;
      const mac = `52:54:00:62:00:${i.toString(16).padStart(2, '0')}`;
      const disk = `${POOL}/${name}.qcow2`;
      const seed = `${POOL}/${name}-cidata.iso`;
      const img = await a.run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', `${POOL}/debian-12-hvs.qcow2`, disk, '4G']);
      if (img.code !== 0) throw new Error(`qemu-img create: ${img.stderr}`);
      await writeSeed(a.pathOnHost(seed), `${name}-${Date.now()}`, name, publicKey);
      const xml = path.join(hosts.lab, `${name}.xml`);
      fs.writeFileSync(xml, debianGuestXml({ name, disk, seed, bridge: bridge.name, mac, memoryMiB: MEMORY_MIB }));
      await virsh(a, ['define', xml]);
      const t0 = Date.now();
      await virsh(a, ['start', name]);
      const ip = await waitFor(() => leasedIp(a, bridge!, mac), { what: `lease for ${name}`, timeoutMs: BOOT_TIMEOUT_MS, intervalMs: 200 });
      lease.push(since(t0));
      await waitFor(async () => (await sshInHost(a, key, ip, ['hostname'])).stdout.trim() === name, { what: `ssh ${name}`, timeoutMs: BOOT_TIMEOUT_MS, intervalMs: 1_000 });
      ssh.push(since(t0));
      // Straight to stderr: jest holds console output until the file ends, and a run takes minutes.
      process.stderr.write(`run ${i}: launch->lease ${lease.at(-1)} ms, launch->ssh ${ssh.at(-1)} ms (${ip})\n`);
      await virsh(a, ['destroy', name]);
      await virsh(a, ['undefine', name]);
      fs.rmSync(a.pathOnHost(disk));
      fs.rmSync(a.pathOnHost(seed));
    }
    const fmt = (v: number[]) => `p50 ${(pct(v, 50) / 1000).toFixed(1)} s, p95 ${(pct(v, 95) / 1000).toFixed(1)} s, runs ${v.map((x) => (x / 1000).toFixed(1)).join(' / ')} s`;
    console.log(`Debian 12 cloud image on TCG, ${MEMORY_MIB} MiB, 1 vCPU, ${RUNS} runs\n  launch -> DHCP lease: ${fmt(lease)}\n  launch -> SSH answers: ${fmt(ssh)}`);
    expect(ssh).toHaveLength(RUNS);
  });
});
