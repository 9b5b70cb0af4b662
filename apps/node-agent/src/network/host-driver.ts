/**
 * The real executor: makes this host match a NetworkPlan with ip, bridge, dnsmasq and nft
 * (host-commands.ts: argv arrays, no shell). Each step reads the host first and changes only what
 * differs, so realise() is idempotent and an agent restart adopts what exists. A device with our
 * name but without our alias is refused (HVS-NET-NAME-CLASH) and never changed.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../state/atomic-file';
import { DNSMASQ_FILES, type DnsmasqFiles } from './dnsmasq-config';
import { reloadDnsmasq, runningDnsmasq, startDnsmasq, stopDnsmasq } from './dnsmasq-process';
import type { NetworkDriver, Realised } from './driver';
import { bridgeMissing, nameClash, vlanUnsupported, vtepMissing } from './errors';
import { HostCommands } from './host-commands';
import { bridgeName, networkOfAlias, ownerAlias, vxlanName } from './naming';
import { NFT_FAMILY, NFT_TABLE } from './nft-ruleset';
import { cmd, FLOOD_MAC, networkDir, type NetworkPlan, type VxlanPlan } from './plan';

interface Link {
  ifname: string;
  ifalias?: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; port?: number; local?: string } };
}

export interface HostNetworkDriverOptions {
  stateDir: string;
  /** Run every command inside this network namespace (tests). */
  netns?: string;
}

export class HostNetworkDriver implements NetworkDriver {
  readonly simulated = false;
  private readonly run: HostCommands;

  constructor(private readonly opts: HostNetworkDriverOptions) {
    this.run = new HostCommands(opts.netns);
  }

  async realise(plan: NetworkPlan): Promise<Realised> {
    if (!plan.owned) {
      if (!(await this.link(plan.bridge))) throw bridgeMissing(plan.bridge, plan.network);
      return { bridge: plan.bridge, reason: 'Realised', message: `joins the host bridge ${plan.bridge} (not managed by hvs)`, changed: false };
    }
    if (plan.mode === 'vxlan' && (!plan.vxlan || plan.vxlan.local === '')) throw vtepMissing(plan.network);
    let changed = await this.ensureLink(plan, plan.bridge, cmd.addBridge(plan.bridge));
    await this.run.must(cmd.linkUp(plan.bridge, plan.mtu, plan.mac));
    changed = (await this.syncAddress(plan)) || changed;
    if (plan.mode === 'nat') await this.run.must(cmd.ipForward());
    if (plan.vlan !== undefined) {
      const r = await this.run.run(cmd.vlanFiltering(plan.bridge));
      if (r.code !== 0) throw vlanUnsupported(plan.network, plan.vlan, r.stderr);
      await this.run.must(cmd.bridgeVlan(plan.bridge, plan.vlan));
    }
    if (plan.vxlan) changed = (await this.syncVxlan(plan, plan.vxlan)) || changed;
    if (plan.dnsmasq) changed = (await this.syncDnsmasq(plan.network, plan.dnsmasq.dir, plan.dnsmasq.files)) || changed;
    else await stopDnsmasq(networkDir(this.opts.stateDir, plan.network));
    const parts = [`bridge ${plan.bridge}`, ...(plan.vxlan ? [`vxlan ${plan.vxlan.device} (VNI ${plan.vxlan.vni}, ${plan.vxlan.peers.length} peer(s))`] : []), ...(plan.dnsmasq ? ['dnsmasq'] : [])];
    return { bridge: plan.bridge, reason: 'Realised', message: `${parts.join(', ')} up, MTU ${plan.mtu}`, changed };
  }

  async present(): Promise<string[]> {
    const names = new Set<string>();
    for (const l of await this.run.json<Link>(['ip', '-j', '-d', 'link', 'show'])) {
      const n = networkOfAlias(l.ifalias);
      if (n !== undefined && (l.ifname === bridgeName(n) || l.ifname === vxlanName(n))) names.add(n);
    }
    try {
      for (const d of await readdir(join(this.opts.stateDir, 'networks'), { withFileTypes: true })) if (d.isDirectory()) names.add(d.name);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return [...names].sort();
  }

  async remove(network: string): Promise<void> {
    const dir = networkDir(this.opts.stateDir, network);
    await stopDnsmasq(dir);
    for (const dev of [vxlanName(network), bridgeName(network)]) {
      const l = await this.link(dev);
      // Only what carries our mark for this very Network.
      if (l && l.ifalias === ownerAlias(network)) await this.run.must(cmd.delLink(dev));
    }
    await rm(dir, { recursive: true, force: true });
  }

  async applyRuleset(ruleset: string | undefined): Promise<void> {
    if (ruleset === undefined) {
      const r = await this.run.run(['nft', 'list', 'table', NFT_FAMILY, NFT_TABLE]);
      if (r.code === 0) await this.run.must(['nft', 'delete', 'table', NFT_FAMILY, NFT_TABLE]);
      return;
    }
    const dir = join(this.opts.stateDir, 'networks');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `${NFT_TABLE}.nft`);
    await writeFileAtomic(file, ruleset);
    await this.run.must(cmd.nftApply(file));
  }

  private async link(dev: string): Promise<Link | undefined> {
    return (await this.run.json<Link>(['ip', '-j', '-d', 'link', 'show', 'dev', dev]))[0];
  }

  /** Creates `dev` with our alias, or checks that the existing one is ours. True when created. */
  private async ensureLink(plan: NetworkPlan, dev: string, add: string[]): Promise<boolean> {
    const l = await this.link(dev);
    if (l) {
      if (l.ifalias !== plan.alias) throw nameClash(dev, plan.network, l.ifalias);
      return false;
    }
    // A crash between these two leaves an unmarked device, refused as a clash: safe, never a takeover.
    await this.run.must(add);
    await this.run.must(cmd.alias(dev, plan.alias));
    return true;
  }

  private async syncAddress(plan: NetworkPlan): Promise<boolean> {
    const shown = await this.run.json<{ addr_info?: { family: string; local: string; prefixlen: number }[] }>(['ip', '-j', 'addr', 'show', 'dev', plan.bridge]);
    const have = (shown[0]?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
    let changed = false;
    for (const a of have) {
      if (a !== plan.address) {
        await this.run.must(cmd.delAddress(a, plan.bridge));
        changed = true;
      }
    }
    if (plan.address && !have.includes(plan.address)) {
      await this.run.must(cmd.addAddress(plan.address, plan.bridge));
      changed = true;
    }
    return changed;
  }

  private async syncVxlan(plan: NetworkPlan, v: VxlanPlan): Promise<boolean> {
    let changed = false;
    const l = await this.link(v.device);
    const d = l?.linkinfo?.info_data;
    if (l && l.ifalias === plan.alias && (d?.id !== v.vni || d?.port !== v.port || d?.local !== v.local)) {
      // Ours, but with another VNI, port or local address: these cannot change in place.
      await this.run.must(cmd.delLink(v.device));
      changed = true;
    }
    changed = (await this.ensureLink(plan, v.device, cmd.addVxlan(v))) || changed;
    await this.run.must(cmd.enslave(v.device, plan.bridge, plan.mtu));
    if (plan.vlan !== undefined) await this.run.must(cmd.portVlan(v.device, plan.vlan));
    const fdb = await this.run.json<{ mac: string; dst?: string }>(['bridge', '-j', 'fdb', 'show', 'dev', v.device]);
    const have = new Set(fdb.filter((e) => e.mac === FLOOD_MAC && e.dst).map((e) => e.dst as string));
    for (const peer of v.peers) if (!have.has(peer)) await this.run.must(cmd.fdbAppend(v.device, peer));
    for (const dst of have) if (!v.peers.includes(dst)) await this.run.must(cmd.fdbDel(v.device, dst));
    return changed || v.peers.some((p) => !have.has(p)) || [...have].some((p) => !v.peers.includes(p));
  }

  private async syncDnsmasq(network: string, dir: string, files: DnsmasqFiles): Promise<boolean> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const confChanged = await writeIfChanged(join(dir, DNSMASQ_FILES.conf), files.conf);
    const hostsChanged = await writeIfChanged(join(dir, DNSMASQ_FILES.hosts), files.hosts);
    const namesChanged = await writeIfChanged(join(dir, DNSMASQ_FILES.addnHosts), files.addnHosts);
    const pid = await runningDnsmasq(dir);
    if (pid !== undefined && !confChanged) {
      if (hostsChanged || namesChanged) reloadDnsmasq(pid);
      return hostsChanged || namesChanged;
    }
    if (pid !== undefined) await stopDnsmasq(dir);
    await startDnsmasq(this.run, network, dir);
    return true;
  }
}

/** True when the file had other content (or none) and was rewritten. */
async function writeIfChanged(path: string, text: string): Promise<boolean> {
  const before = await readFile(path, 'utf8').catch(() => undefined);
  if (before === text) return false;
  await writeFileAtomic(path, text, 0o600);
  return true;
}
