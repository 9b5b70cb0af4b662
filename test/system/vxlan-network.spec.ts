/**
 * Issue #13's "on the two lab hosts: a VXLAN network spans both, a VM on each reaches the other;
 * a VM migrated between them keeps its address", through the product: two real libvirt hosts
 * (test/harness/two-hosts, QEMU/TCG, joined by an uplink switch), a controller in this process and
 * one node agent process inside each host's namespaces, joined with one-time tokens; everything
 * is applied and moved with the built hvctl over TLS (the pattern of hvctl-migrate.spec.ts).
 *
 * A `vxlan` Network is applied; one tiny guest is pinned to each host (nodeSelector on a Node
 * label), booted with `hvs.net=1 hvs.ping=<the other VM's address>` (tiny-guest.ts netCmdline):
 * every 3 s it asks DHCP for eth0's address and pings the other VM, printing both on its serial
 * console. Proven: each host has the Network's bridge, its VXLAN device (the VNI, this host's
 * VTEP = the Node's address on the uplink, a flood entry to the other host) and a running
 * dnsmasq, and the Network reports Ready per node; each guest gets its reserved address by DHCP
 * from its own node's dnsmasq (the lease is in that node's leases file) and pings the other VM,
 * whose only path is the overlay (the VXLAN device counts the packets); status.interfaces shows
 * the leases. Then `hvctl migrate` moves VM A to host B: a fresh DHCP round on host B gives it
 * the same address (now in host B's leases), the pings go on, status keeps the address; and
 * moved back to host A it is leased the same address by host A again and reaches B across the
 * overlay again.
 * Opt-in: HVS_TEST_SYSTEM=1 as root (docs/system-tests.md).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { domainName, type Migration, type Network, type Node, type VirtualMachine } from '@hvs/domain';
import { bridgeName, networkDir, vxlanName } from '../../apps/node-agent/src/network';
import { HVCTL_MAIN, run, type RunResult } from '../e2e/cli';
import { startControlPlane, type ControlPlane } from '../harness/control-plane';
import { waitFor } from '../harness/processes';
import { startTwoHosts, type LabHost, type TwoHosts } from '../harness/two-hosts';
import { describeSystem } from './gate';
import { buildTinyGuest, installTinyGuest, netCmdline, readSerial, type SerialLog } from './tiny-guest';

jest.setTimeout(240_000);

const NET = 'overlay';
const VNI = 4242;
const SUBNET = '10.93.0.0/24';
/** VM A asks for this address (a wanted reservation); VM B gets one from the range. */
const A_IP = '10.93.0.50';
const POOL = '/var/lib/libvirt/images';
const AGENT_PORT = 17450;
const MIGRATION_URI = 'hvs.dev/migration-uri';
/** VMs are pinned by nodeSelector on these Node labels: B's to host-b; A's to every Node labelled for it (host-a, and host-b once the test opens it for the move). */
const LAB_LABEL = 'hvs-test/lab-host';
const A_LABEL = 'hvs-test/vm-a';

describeSystem('a vxlan Network spans two libvirt hosts: a VM on each reaches the other, a migrated VM keeps its address', () => {
  let hosts: TwoHosts | undefined;
  let plane: ControlPlane | undefined;
  let env: NodeJS.ProcessEnv;
  const byNode = new Map<string, LabHost>();
  const agentDir = new Map<string, string>();
  const timings: Record<string, number> = {};
  let bIp = '';

  const hvctl = (args: string[], timeoutMs = 60_000): Promise<RunResult> => run(process.execPath, [HVCTL_MAIN, ...args], { env, timeoutMs });
  const succeeded = (r: RunResult, what: string) => {
    if (r.code !== 0) throw new Error(`${what} exited ${r.code}${r.timedOut ? ' (timed out)' : ''}:\n${r.stdout}\n${r.stderr}`);
  };
  const getVm = (name: string) => plane!.store.get<VirtualMachine>('VirtualMachine', name);
  const hvctlDir = () => path.join(hosts!.lab, 'hvctl');
  const apply = async (file: string, yaml: string[], wait: boolean) => {
    fs.writeFileSync(path.join(hvctlDir(), file), [...yaml, ''].join('\n'));
    const r = await hvctl(['apply', '-f', path.join(hvctlDir(), file), ...(wait ? ['--wait', '--timeout', '120s'] : [])], 150_000);
    succeeded(r, `hvctl apply ${file}`);
  };
  const vmYaml = (name: string, selector: string, cmdline: string, ip?: string) => [
    'apiVersion: hvs/v1', 'kind: VirtualMachine', `metadata: {name: ${name}}`, 'spec:', '  cpu: {cores: 1}', '  memory: {size: 128MiB}',
    `  boot: {kernel: tiny/vmlinuz, initrd: tiny/initrd.gz, cmdline: "${cmdline}"}`,
    '  disks: []', `  networks: [{name: eth0, network: ${NET}${ip ? `, ip: "${ip}"` : ''}}]`,
    `  placement: {nodeSelector: {${selector}}}`, '  runState: Running',
  ];
  /** The guest's console log on the host that runs (or ran) it. */
  const serial = async (vm: string, host: LabHost): Promise<SerialLog> => readSerial(host, domainName((await getVm(vm)).metadata.uid!));
  /** A file of the Network's dnsmasq on a node ('' when absent). */
  const dnsmasqFile = (node: string, file: 'dnsmasq.leases' | 'hosts'): string => {
    try {
      return fs.readFileSync(path.join(networkDir(path.join(agentDir.get(node)!, 'state'), NET), file), 'utf8');
    } catch {
      return '';
    }
  };
  const leasesOf = (node: string): string => dnsmasqFile(node, 'dnsmasq.leases');
  /** Sets Node labels (retried: the agent's heartbeats update the Node too). */
  const label = (node: string, labels: Record<string, string>, annotations: Record<string, string> = {}) => waitFor(async () => {
    const n = await plane!.store.get<Node>('Node', node);
    n.metadata.labels = { ...n.metadata.labels, ...labels };
    n.metadata.annotations = { ...n.metadata.annotations, ...annotations };
    return plane!.store.update(n).then(() => true, () => false);
  }, { what: `label node ${node}`, timeoutMs: 10_000 });
  const macOf = async (vm: string) => (await getVm(vm)).status?.interfaces?.find((i) => i.name === 'eth0')?.mac ?? '';
  /** `ip -j` inside a lab host. */
  const ipJson = async <T>(h: LabHost, args: string[]): Promise<T[]> => {
    const r = await h.run(args[0]!, args.slice(1));
    if (r.code !== 0) throw new Error(`${args.join(' ')} on ${h.name}: ${r.stderr}`);
    return r.stdout.trim() === '' ? [] : (JSON.parse(r.stdout) as T[]);
  };
  const vxlanStats = async (h: LabHost) => {
    const [link] = await ipJson<{ stats64?: { rx: { packets: number }; tx: { packets: number } } }>(h, ['ip', '-j', '-s', 'link', 'show', 'dev', vxlanName(NET)]);
    return { rx: link?.stats64?.rx.packets ?? 0, tx: link?.stats64?.tx.packets ?? 0 };
  };

  beforeAll(async () => {
    if (!fs.existsSync(HVCTL_MAIN)) throw new Error(`${HVCTL_MAIN} is missing: build hvctl first (npx tsc -p apps/hvctl/tsconfig.build.json)`);
    const files = await buildTinyGuest();
    let t0 = Date.now();
    hosts = await startTwoHosts({ uplink: true });
    timings.hostsUpMs = Date.now() - t0;
    installTinyGuest(files, [hosts.a, hosts.b], POOL);

    t0 = Date.now();
    const lab = hosts.lab;
    plane = await startControlPlane({ grpcHost: hosts.uplink!.host, dir: path.join(lab, 'control') });
    for (const [node, h] of [['host-a', hosts.a], ['host-b', hosts.b]] as const) {
      byNode.set(node, h);
      agentDir.set(node, path.join(lab, `agent-${node}`));
      await plane.joinAgent({
        node, address: `${h.uplinkAddress}:${AGENT_PORT}`, dir: agentDir.get(node)!, libvirtUri: 'qemu:///system',
        pools: `default=${POOL}`, wrap: h.wrap(),
      });
    }
    await plane.untilReady(2, 90_000);
    timings.agentsReadyMs = Date.now() - t0;
    // As an operator labels hosts (the VMs are pinned by nodeSelector) and names the migration link.
    for (const [node, h] of byNode) await label(node, { [LAB_LABEL]: node }, { [MIGRATION_URI]: h.tcpUri });
    await label('host-a', { [A_LABEL]: 'ok' });

    fs.mkdirSync(hvctlDir(), { recursive: true });
    fs.writeFileSync(path.join(hvctlDir(), 'ca.pem'), plane.caPem);
    env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HVS_'))), HVS_CONFIG: path.join(hvctlDir(), 'config.yaml'), NO_COLOR: '1' };
    succeeded(await hvctl(['config', 'set-context', 'lab', '--controller', plane.controller, '--ca-file', path.join(hvctlDir(), 'ca.pem'),
      '--cert-file', plane.admin.certFile, '--key-file', plane.admin.keyFile, '--use']), 'hvctl config set-context');

    await apply('network.yaml', ['apiVersion: hvs/v1', 'kind: Network', `metadata: {name: ${NET}}`, 'spec:', '  mode: vxlan', `  subnet: ${SUBNET}`, `  vxlan: {vni: ${VNI}}`], false);
    // B first: A's cmdline names B's address, which the controller reserves at apply.
    t0 = Date.now();
    await apply('vm-b.yaml', vmYaml('vm-b', `${LAB_LABEL}: host-b`, netCmdline(A_IP)), true);
    timings.applyBToRunningMs = Date.now() - t0;
    bIp = await waitFor(async () => (await getVm('vm-b')).status?.interfaces?.find((i) => i.name === 'eth0')?.ipv4, { what: 'vm-b reserved address in status', timeoutMs: 30_000 });
    t0 = Date.now();
    await apply('vm-a.yaml', vmYaml('vm-a', `${A_LABEL}: ok`, netCmdline(bIp), A_IP), true);
    timings.applyAToRunningMs = Date.now() - t0;
  });

  afterAll(async () => {
    await plane?.stop();
    await hosts?.stop();
    console.log(`vxlan system test (run ${hosts?.runId}) timings (ms): ${JSON.stringify(timings)}`);
  });

  it('realises the Network on both hosts: bridge, VXLAN device (VNI, local VTEP, flood entry to the peer), dnsmasq; Ready per node', async () => {
    expect((await getVm('vm-a')).status?.node).toBe('host-a');
    expect((await getVm('vm-b')).status?.node).toBe('host-b');
    for (const [node, h] of byNode) {
      const peer = [...byNode.values()].find((x) => x !== h)!;
      const [br] = await ipJson<{ ifname: string; ifalias?: string; mtu: number; operstate: string }>(h, ['ip', '-j', 'link', 'show', 'dev', bridgeName(NET)]);
      expect(br).toMatchObject({ ifname: bridgeName(NET), ifalias: `hvs:${NET}`, mtu: 1450 });
      const [vx] = await ipJson<{ master?: string; linkinfo?: { info_kind: string; info_data: { id: number; local: string; port: number } } }>(h, ['ip', '-j', '-d', 'link', 'show', 'dev', vxlanName(NET)]);
      expect(vx?.master).toBe(bridgeName(NET));
      expect(vx?.linkinfo).toMatchObject({ info_kind: 'vxlan', info_data: { id: VNI, local: h.uplinkAddress, port: 4789 } });
      const fdb = await ipJson<{ mac: string; dst?: string }>(h, ['bridge', '-j', 'fdb', 'show', 'dev', vxlanName(NET)]);
      expect(fdb.filter((e) => e.mac === '00:00:00:00:00:00').map((e) => e.dst)).toEqual([peer.uplinkAddress]);
      const pid = Number(fs.readFileSync(path.join(networkDir(path.join(agentDir.get(node)!, 'state'), NET), 'dnsmasq.pid'), 'utf8').trim());
      expect(fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).toBe('dnsmasq');
    }
    const net = await waitFor(async () => {
      const n = await plane!.store.get<Network>('Network', NET);
      return n.status?.nodes?.length === 2 && n.status.nodes.every((x) => x.ready) ? n : undefined;
    }, { what: `${NET} ready on both nodes`, timeoutMs: 30_000 });
    expect(net.status!.nodes!.map((x) => ({ node: x.node, bridge: x.bridge, reason: x.reason })).sort((x, y) => x.node.localeCompare(y.node))).toEqual([
      { node: 'host-a', bridge: bridgeName(NET), reason: 'Realised' },
      { node: 'host-b', bridge: bridgeName(NET), reason: 'Realised' },
    ]);
  });

  it('each guest gets its reserved address by DHCP from its own node and pings the other VM across the overlay', async () => {
    const before = { a: await vxlanStats(hosts!.a), b: await vxlanStats(hosts!.b) };
    const t0 = Date.now();
    const a = await waitFor(async () => {
      const log = await serial('vm-a', hosts!.a);
      return log.pings.some((p) => p.ok) ? log : undefined;
    }, { what: 'vm-a pinging vm-b', timeoutMs: 90_000, intervalMs: 500 });
    timings.aFirstPingOkMs = Date.now() - t0;
    const b = await waitFor(async () => {
      const log = await serial('vm-b', hosts!.b);
      return log.pings.some((p) => p.ok) ? log : undefined;
    }, { what: 'vm-b pinging vm-a', timeoutMs: 60_000, intervalMs: 500 });
    // The addresses the guests got by DHCP are their reservations, and nothing else ever.
    expect(new Set(a.dhcp.filter((d) => d.ip !== 'none').map((d) => d.ip))).toEqual(new Set([A_IP]));
    expect(new Set(b.dhcp.filter((d) => d.ip !== 'none').map((d) => d.ip))).toEqual(new Set([bIp]));
    expect(a.pings.find((p) => p.ok)?.to).toBe(bIp);
    expect(b.pings.find((p) => p.ok)?.to).toBe(A_IP);
    // Each lease comes from the guest's own node: dnsmasq serves only that node's MACs.
    const [macA, macB] = [await macOf('vm-a'), await macOf('vm-b')];
    expect(macA).toMatch(/^52:54:00:/);
    expect(leasesOf('host-a')).toContain(`${macA} ${A_IP}`);
    expect(leasesOf('host-a')).not.toContain(macB);
    expect(leasesOf('host-b')).toContain(`${macB} ${bIp}`);
    expect(leasesOf('host-b')).not.toContain(macA);
    // The two VMs' only L2 path is the overlay: both VXLAN devices carried packets meanwhile.
    const after = { a: await vxlanStats(hosts!.a), b: await vxlanStats(hosts!.b) };
    expect(after.a.tx).toBeGreaterThan(before.a.tx);
    expect(after.b.rx).toBeGreaterThan(before.b.rx);
    // The product reports what the guests use.
    for (const [vm, ip] of [['vm-a', A_IP], ['vm-b', bIp]] as const) {
      await waitFor(async () => {
        const st = (await getVm(vm)).status;
        const nic = st?.interfaces?.find((i) => i.name === 'eth0');
        return nic?.ipv4 === ip && nic.source === 'lease' && st?.ips?.includes(ip) ? true : undefined;
      }, { what: `${vm} status.interfaces eth0 ${ip} from the lease`, timeoutMs: 60_000 });
    }
  });

  it('hvctl migrate moves VM A to host B; a fresh DHCP there gives the same address, the pings go on, status keeps it', async () => {
    const vmA = await getVm('vm-a');
    const domain = domainName(vmA.metadata.uid!);
    const macA = await macOf('vm-a');
    // The operator opens host B for VM A (its nodeSelector holds for migrations too).
    await label('host-b', { [A_LABEL]: 'ok' });
    // Host B's DHCP hosts file, sampled every 50 ms from before the move until 2 s after it: once
    // it serves VM A's MAC (from the start of the migration), it must never stop.
    const samples: boolean[] = [];
    const sampler = setInterval(() => samples.push(dnsmasqFile('host-b', 'hosts').includes(`${macA},${A_IP}`)), 50);
    const t0 = Date.now();
    let r: RunResult;
    try {
      r = await hvctl(['migrate', 'vm-a', '--to', 'host-b'], 150_000);
      timings.hvctlMigrateMs = Date.now() - t0;
      await new Promise((done) => setTimeout(done, 2_000));
    } finally {
      clearInterval(sampler);
    }
    const firstServed = samples.indexOf(true);
    timings.hostBServesAAfterMs = firstServed * 50;
    expect(firstServed).toBeGreaterThanOrEqual(0);
    expect(samples.slice(firstServed).filter((x) => !x)).toHaveLength(0);
    succeeded(r, 'hvctl migrate');
    expect(r.stdout).toContain('virtualmachine/vm-a migrated to host-b');
    const m = (await plane!.store.list<Migration>('Migration')).items.find((x) => x.spec.vm === 'vm-a');
    expect(m?.status).toMatchObject({ phase: 'Succeeded', targetNode: 'host-b' });
    timings.migrationDownMs = m?.status?.downtimeMs ?? -1;
    expect((await hosts!.b.run('virsh', ['-q', '-c', 'qemu:///system', 'domstate', domain])).stdout.trim()).toBe('running');

    // The target's copy of the console log starts at the migration: every round in it ran on host B.
    const t1 = Date.now();
    const onB = await waitFor(async () => {
      const log = await readSerial(hosts!.b, domain);
      return log.dhcp.some((d) => d.ip !== 'none') && log.pings.some((p) => p.ok) ? log : undefined;
    }, { what: 'vm-a: a DHCP round and a ping on host B', timeoutMs: 60_000, intervalMs: 500 });
    timings.afterMigrationDhcpAndPingMs = Date.now() - t1;
    expect(onB.booted).toBe(false);
    expect(new Set(onB.dhcp.filter((d) => d.ip !== 'none').map((d) => d.ip))).toEqual(new Set([A_IP]));
    expect(leasesOf('host-b')).toContain(`${macA} ${A_IP}`);
    // Host A's dnsmasq stops serving the MAC once the VM is gone from there.
    await waitFor(async () => (dnsmasqFile('host-a', 'hosts').includes(macA) ? undefined : true), { what: `host-a's DHCP hosts without ${macA}`, timeoutMs: 30_000 });
    await waitFor(async () => {
      const st = (await getVm('vm-a')).status;
      const nic = st?.interfaces?.find((i) => i.name === 'eth0');
      return st?.node === 'host-b' && st.phase === 'Running' && nic?.ipv4 === A_IP && nic.mac === macA && st.ips?.includes(A_IP) ? true : undefined;
    }, { what: 'vm-a Running on host-b with its address in status', timeoutMs: 60_000 });
    // VM B still reaches it (now on its own host's bridge).
    const rounds = (await serial('vm-b', hosts!.b)).pings.length;
    await waitFor(async () => (await serial('vm-b', hosts!.b)).pings.slice(rounds).some((p) => p.ok), { what: 'vm-b pinging vm-a after the move', timeoutMs: 30_000, intervalMs: 500 });
  });

  it('and back: hvctl migrate vm-a --to host-a; host A leases it the same address again and the pings cross the overlay again', async () => {
    const domain = domainName((await getVm('vm-a')).metadata.uid!);
    const macA = await macOf('vm-a');
    // The guest's round counter survives migrations: rounds above the last one on host B ran on host A.
    const lastOnB = Math.max(0, ...(await readSerial(hosts!.b, domain)).dhcp.map((d) => d.round));
    const t0 = Date.now();
    const r = await hvctl(['migrate', 'vm-a', '--to', 'host-a'], 150_000);
    timings.hvctlMigrateBackMs = Date.now() - t0;
    succeeded(r, 'hvctl migrate back');
    const back = await waitFor(async () => {
      const log = await readSerial(hosts!.a, domain);
      const dhcp = log.dhcp.filter((d) => d.round > lastOnB && d.ip !== 'none');
      const pings = log.pings.filter((p) => p.round > lastOnB && p.ok);
      return dhcp.length > 0 && pings.length > 0 ? { dhcp, pings } : undefined;
    }, { what: 'vm-a: a DHCP round and a ping back on host A', timeoutMs: 60_000, intervalMs: 500 });
    expect(new Set(back.dhcp.map((d) => d.ip))).toEqual(new Set([A_IP]));
    expect(back.pings[0]!.to).toBe(bIp);
    expect(leasesOf('host-a')).toContain(`${macA} ${A_IP}`);
    // Host A had no VM on the Network meanwhile, so its agent removed it; the migration waited
    // for it to be realised again: a fresh VXLAN device, whose counters are all this VM's rounds.
    const after = await vxlanStats(hosts!.a);
    expect(after.tx).toBeGreaterThan(0);
    expect(after.rx).toBeGreaterThan(0);
    await waitFor(async () => {
      const st = (await getVm('vm-a')).status;
      return st?.node === 'host-a' && st.phase === 'Running' && st.interfaces?.find((i) => i.name === 'eth0')?.ipv4 === A_IP ? true : undefined;
    }, { what: 'vm-a Running on host-a with its address in status', timeoutMs: 60_000 });
  });
});
