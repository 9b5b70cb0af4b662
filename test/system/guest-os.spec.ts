/**
 * Issue 13's "How to prove it here", through the product: a real OS on a real (TCG) host. Lab
 * host A (test/harness/two-hosts, uplink) runs its own libvirtd and a node agent inside its
 * namespaces (joined with a one-time token); the controller runs in this process; a tiny HTTP
 * server here, on the uplink address, serves the local Debian image
 * (scripts/guest-image/build-debian.sh). With the built hvctl the test applies a nat Network,
 * an Image (URL on that server, its sha256) and a VM with cloud-init (hostname + an SSH key
 * made here), then proves: the Image goes Ready with progress seen (status or events); the VM
 * is Running with its reserved IP in `hvctl get vms -o wide`; `ssh debian@IP hostname` run
 * inside A's namespace answers the cloud-init hostname; the guest pings its gateway. A second
 * Image with a wrong digest goes Failed naming both digests, and a VM using it waits Pending
 * (ImageFailed) with no domain defined. Deleting the VMs then the Network leaves nothing in
 * libvirt, no bridge, and only the cached image (content-addressed) on the node.
 * Guest traffic stays inside A's namespace. The same image below the product:
 * test/system/debian-image.spec.ts. Opt-in: HVS_TEST_SYSTEM=1 as root (docs/system-tests.md).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { domainName, type Image, type VirtualMachine } from '@hvs/domain';
import { HVCTL_MAIN, run, type RunResult } from '../e2e/cli';
import { requireBinary } from '../harness/binaries';
import { startControlPlane, type ControlPlane } from '../harness/control-plane';
import { waitFor } from '../harness/processes';
import { startTwoHosts, type TwoHosts } from '../harness/two-hosts';
import { buildDebianImage, POOL, serveFiles, since, sshInHost, sshKeygen, type DebianImage, type FileServer } from './debian-guest';
import { describeSystem } from './gate';

jest.setTimeout(1_800_000);

const NET = 'lab';
const GATEWAY = '10.89.0.1';
const VM = 'guest';
const BAD_VM = 'guest-bad';
const AGENT_PORT = 17450;
const SSH_TIMEOUT_MS = Number(process.env.HVS_GUEST_SSH_TIMEOUT_S ?? 300) * 1000;
const bridgeOf = (network: string) => `hvs-${createHash('sha256').update(network).digest('hex').slice(0, 10)}`;

describeSystem('a real OS through the product: Network + Image from a URL + cloud-init VM on QEMU/TCG, SSH from the host namespace', () => {
  let image: DebianImage;
  let hosts: TwoHosts | undefined;
  let plane: ControlPlane | undefined;
  let server: FileServer | undefined;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let key: string;
  let agentDir: string;
  const timings: Record<string, number> = {};

  const hvctl = (args: string[], timeoutMs = 60_000): Promise<RunResult> => run(process.execPath, [HVCTL_MAIN, ...args], { env, timeoutMs });
  const succeeded = (r: RunResult, what: string) => {
    if (r.code !== 0) throw new Error(`${what} exited ${r.code}${r.timedOut ? ' (timed out)' : ''}:\n${r.stdout}\n${r.stderr}`);
  };
  const virshNames = async () => (await hosts!.a.run('virsh', ['-q', '-c', 'qemu:///system', 'list', '--all', '--name'])).stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  const apply = async (name: string, yaml: string[]) => {
    fs.writeFileSync(path.join(dir, name), `${yaml.join('\n')}\n`);
    succeeded(await hvctl(['apply', '-f', path.join(dir, name)]), `hvctl apply ${name}`);
  };

  beforeAll(async () => {
    if (!fs.existsSync(HVCTL_MAIN)) throw new Error(`${HVCTL_MAIN} is missing: build hvctl first (npx tsc -p apps/hvctl/tsconfig.build.json)`);
    for (const [bin, pkg] of [['ssh', 'openssh-client'], ['ssh-keygen', 'openssh-client'], ['dnsmasq', 'dnsmasq-base'], ['nft', 'nftables']]) requireBinary(bin, pkg);
    let t0 = Date.now();
    image = await buildDebianImage();
    timings.imageBuildOrCacheMs = since(t0);
    hosts = await startTwoHosts({ uplink: true });
    server = await serveFiles(hosts.uplink!.host, { 'debian-12-hvs.qcow2': image.file });
    dir = path.join(hosts.lab, 'hvctl');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    ({ key } = await sshKeygen(dir));

    t0 = Date.now();
    plane = await startControlPlane({ grpcHost: hosts.uplink!.host, dir: path.join(hosts.lab, 'control') });
    agentDir = path.join(hosts.lab, 'agent-host-a');
    await plane.joinAgent({
      node: 'host-a', address: `${hosts.a.uplinkAddress}:${AGENT_PORT}`, dir: agentDir, libvirtUri: 'qemu:///system',
      pools: `default=${POOL}`, wrap: hosts.a.wrap(),
    });
    await plane.untilReady(1, 90_000);
    timings.agentReadyMs = since(t0);
    fs.writeFileSync(path.join(dir, 'ca.pem'), plane.caPem);
    env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HVS_'))), HVS_CONFIG: path.join(dir, 'config.yaml'), NO_COLOR: '1' };
    succeeded(await hvctl(['config', 'set-context', 'lab', '--controller', plane.controller, '--ca-file', path.join(dir, 'ca.pem'),
      '--cert-file', plane.admin.certFile, '--key-file', plane.admin.keyFile, '--use']), 'hvctl config set-context');
  });

  afterAll(async () => {
    await plane?.stop();
    await server?.close();
    await hosts?.stop();
    console.log(`guest-os system test timings (ms): ${JSON.stringify(timings)}`);
  });

  it('Network + Image + cloud-init VM: Image Ready with progress, VM Running with its reserved IP, SSH answers the hostname, the gateway answers', async () => {
    const publicKey = fs.readFileSync(`${key}.pub`, 'utf8').trim();
    const t0 = Date.now();
    await apply('guest.yaml', [
      'apiVersion: hvs/v1', 'kind: Network', `metadata: {name: ${NET}}`, 'spec:', '  mode: nat', '  subnet: 10.89.0.0/24', `  gateway: ${GATEWAY}`,
      '---', 'apiVersion: hvs/v1', 'kind: Image', 'metadata: {name: debian-12}', 'spec:', `  source: {url: "${server!.url('debian-12-hvs.qcow2')}"}`,
      `  sha256: ${image.sha256}`, '  format: qcow2',
      '---', 'apiVersion: hvs/v1', 'kind: VirtualMachine', `metadata: {name: ${VM}}`, 'spec:', '  cpu: {cores: 1}', '  memory: {size: 512MiB}',
      '  disks: [{name: root, image: debian-12, size: 4GiB}]', `  networks: [{name: eth0, network: ${NET}}]`,
      `  cloudInit: {hostname: ${VM}-os, sshAuthorizedKeys: ["${publicKey}"]}`, '  runState: Running',
    ]);

    // Progress: a Downloading status with bytes, or an event about the download (a local copy can be quick).
    let progressInStatus = false;
    const ready = await waitFor(async () => {
      const img = await plane!.store.get<Image>('Image', 'debian-12');
      if (img.status?.nodes?.some((n) => n.phase === 'Downloading' && (n.bytes ?? 0) > 0)) progressInStatus = true;
      return img.status?.phase === 'Ready' ? img : undefined;
    }, { what: 'Image debian-12 Ready', timeoutMs: 300_000, intervalMs: 100 });
    timings.applyToImageReadyMs = since(t0);
    expect(ready.status?.digest).toBe(`sha256:${image.sha256}`);
    const events = await hvctl(['events', 'image/debian-12', '-o', 'json']);
    succeeded(events, 'hvctl events image/debian-12');
    expect(progressInStatus || /download|progress/i.test(events.stdout)).toBe(true);

    const vm = await waitFor(async () => {
      const v = await plane!.store.get<VirtualMachine>('VirtualMachine', VM);
      return v.status?.phase === 'Running' && v.status.interfaces?.[0]?.ipv4 ? v : undefined;
    }, { what: `${VM} Running with an IPv4`, timeoutMs: 300_000, intervalMs: 500 });
    timings.applyToRunningMs = since(t0);
    const ip = vm.status!.interfaces![0]!.ipv4!;
    expect(ip.startsWith('10.89.0.')).toBe(true);
    const wide = await hvctl(['get', 'vms', '-o', 'wide']);
    succeeded(wide, 'hvctl get vms -o wide');
    expect(wide.stdout.split('\n').find((l) => l.startsWith(`${VM} `))).toContain(ip);

    const answered = await waitFor(async () => {
      const r = await sshInHost(hosts!.a, key, ip, ['hostname']);
      return r.code === 0 ? r.stdout.trim() : undefined;
    }, { what: `ssh debian@${ip} hostname inside ${hosts!.a.name}`, timeoutMs: SSH_TIMEOUT_MS, intervalMs: 2_000 });
    timings.applyToSshMs = since(t0);
    expect(answered).toBe(`${VM}-os`);
    const ping = await sshInHost(hosts!.a, key, ip, ['ping', '-c1', '-W5', GATEWAY]);
    expect(ping).toMatchObject({ code: 0 });
  });

  it('an Image with a wrong digest goes Failed naming both digests; a VM using it waits Pending (ImageFailed) with no domain', async () => {
    const wrong = 'ab'.repeat(32);
    await apply('bad.yaml', [
      'apiVersion: hvs/v1', 'kind: Image', 'metadata: {name: debian-bad}', 'spec:', `  source: {url: "${server!.url('debian-12-hvs.qcow2')}"}`,
      `  sha256: "${wrong}"`, '  format: qcow2',
      '---', 'apiVersion: hvs/v1', 'kind: VirtualMachine', `metadata: {name: ${BAD_VM}}`, 'spec:', '  cpu: {cores: 1}', '  memory: {size: 256MiB}',
      '  disks: [{name: root, image: debian-bad}]', `  networks: [{name: eth0, network: ${NET}}]`, '  runState: Running',
    ]);
    const failed = await waitFor(async () => {
      const img = await plane!.store.get<Image>('Image', 'debian-bad');
      return img.status?.phase === 'Failed' ? img : undefined;
    }, { what: 'Image debian-bad Failed', timeoutMs: 300_000, intervalMs: 200 });
    const onA = failed.status?.nodes?.find((n) => n.node === 'host-a');
    expect(onA).toMatchObject({ reason: 'DigestMismatch', expectedDigest: `sha256:${wrong}`, actualDigest: `sha256:${image.sha256}` });
    const vm = await waitFor(async () => {
      const v = await plane!.store.get<VirtualMachine>('VirtualMachine', BAD_VM);
      return v.status?.phase === 'Pending' && v.status.conditions?.some((c) => c.reason === 'ImageFailed') ? v : undefined;
    }, { what: `${BAD_VM} Pending with reason ImageFailed`, timeoutMs: 60_000, intervalMs: 200 });
    expect(await virshNames()).not.toContain(domainName(vm.metadata.uid!));
  });

  it('deleting the VMs then the Network leaves nothing in libvirt, no bridge, and only the cached image on the node', async () => {
    const uids = await Promise.all([VM, BAD_VM].map(async (n) => (await plane!.store.get<VirtualMachine>('VirtualMachine', n)).metadata.uid!));
    succeeded(await hvctl(['delete', 'vm', VM, BAD_VM, '--wait'], 180_000), 'hvctl delete vm --wait');
    succeeded(await hvctl(['delete', 'network', NET]), 'hvctl delete network');
    await waitFor(async () => (await virshNames()).length === 0 ? true : undefined, { what: 'no domain left on host A', timeoutMs: 60_000, intervalMs: 500 });
    const bridge = bridgeOf(NET);
    await waitFor(async () => (await hosts!.a.run('ip', ['link', 'show', bridge])).code !== 0, { what: `bridge ${bridge} removed`, timeoutMs: 60_000, intervalMs: 500 });
    const pool = fs.readdirSync(hosts!.a.pathOnHost(POOL));
    for (const uid of uids) expect(pool.filter((f) => f.includes(uid))).toEqual([]);
    // The node keeps the verified base, content-addressed (issue 13's image cache).
    expect(fs.existsSync(path.join(agentDir, 'state', 'images', 'sha256', image.sha256))).toBe(true);
  });
});
