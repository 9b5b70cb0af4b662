/**
 * The local Debian 12 cloud image (scripts/guest-image/build-debian.sh) as the system tier and
 * bench/guest use it: build-or-reuse it, serve it over HTTP from the test process, and the
 * pieces of a guest on a lab host without the product (a bridge + dnsmasq in the host's own
 * namespace, a NoCloud seed, a domain that boots the image from its own disk, SSH from inside
 * the namespace). Guest traffic never leaves the host's namespace.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { serialLogPath } from '@hvs/domain';
import type { CommandResult } from '../harness/netns';
import { spawnTracked, stopProcess } from '../harness/processes';
import type { LabHost } from '../harness/two-hosts';
import { REPO_ROOT } from './tiny-guest';

const run = promisify(execFile);
export const POOL = '/var/lib/libvirt/images';
/** The image's default user (Debian's cloud-init default_user). */
export const GUEST_USER = 'debian';

export interface DebianImage {
  file: string;
  sha256: string;
}

/** Builds the image once (minutes: debootstrap + apt from the mirror) or returns the cached one. */
export async function buildDebianImage(repoRoot = REPO_ROOT): Promise<DebianImage> {
  const { stdout } = await run('bash', [path.join(repoRoot, 'scripts/guest-image/build-debian.sh')], { timeout: 1_500_000, maxBuffer: 1 << 20 });
  const file = /^IMAGE=(.*)$/m.exec(stdout)?.[1];
  const sha256 = /^SHA256=([0-9a-f]{64})$/m.exec(stdout)?.[1];
  if (!file || !sha256) throw new Error(`build-debian.sh printed no image: ${stdout}`);
  return { file, sha256 };
}

export interface FileServer {
  /** `http://<host>:<port>/<name>` for a served file. */
  url(name: string): string;
  close(): Promise<void>;
}

/** A tiny HTTP server on `host` (port 0) serving exactly the given files by name, with Content-Length. */
export async function serveFiles(host: string, files: Record<string, string>): Promise<FileServer> {
  const server = http.createServer((req, res) => {
    const file = files[decodeURIComponent((req.url ?? '/').slice(1))];
    if (req.method !== 'GET' || !file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (name) => `http://${host}:${port}/${encodeURIComponent(name)}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** An ed25519 key pair without passphrase in `dir`; returns the private key path and the public key line. */
export async function sshKeygen(dir: string): Promise<{ key: string; publicKey: string }> {
  const key = path.join(dir, 'id_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'hvs-system-test', '-f', key]);
  return { key, publicKey: fs.readFileSync(`${key}.pub`, 'utf8').trim() };
}

/** A NoCloud seed (volume label cidata) with meta-data and user-data: hostname and one SSH key for the default user. */
export async function writeSeed(iso: string, instanceId: string, hostname: string, publicKey: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(path.dirname(iso), '.seed-'));
  try {
    fs.writeFileSync(path.join(dir, 'meta-data'), `instance-id: ${instanceId}\nlocal-hostname: ${hostname}\n`);
    fs.writeFileSync(path.join(dir, 'user-data'), `#cloud-config\nhostname: ${hostname}\nssh_authorized_keys:\n  - ${publicKey}\n`);
    await run('genisoimage', ['-quiet', '-output', iso, '-volid', 'cidata', '-joliet', '-rock', path.join(dir, 'user-data'), path.join(dir, 'meta-data')]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface LabBridge {
  name: string;
  gateway: string;
  leases: string;
  stop(): Promise<void>;
}

/**
 * A bridge with `gateway`/24 and a DHCP-only dnsmasq on it (port=0: no DNS), inside the host's
 * namespaces; its lease file lies in the host's /run (a bind of the lab dir).
 */
export async function startBridge(host: LabHost, name: string, gateway: string): Promise<LabBridge> {
  for (const args of [['link', 'add', 'name', name, 'type', 'bridge'], ['addr', 'add', `${gateway}/24`, 'dev', name], ['link', 'set', name, 'up']]) {
    await mustOk(host.run('ip', args), `ip ${args.join(' ')} in ${host.name}`);
  }
  const prefix = gateway.split('.').slice(0, 3).join('.');
  const leases = `/run/${name}.leases`;
  const dnsmasq: ChildProcess = spawnTracked(host.wrap()[0]!, [...host.wrap().slice(1), 'dnsmasq', '--keep-in-foreground', '--port=0',
    '--bind-interfaces', `--interface=${name}`, '--except-interface=lo', `--dhcp-range=${prefix}.100,${prefix}.199,255.255.255.0,1h`,
    `--dhcp-leasefile=${leases}`, `--pid-file=/run/${name}.dnsmasq.pid`, '--dhcp-authoritative', '--log-facility=-']);
  return { name, gateway, leases, stop: () => stopProcess(dnsmasq, 'SIGTERM', 5_000) };
}

/** The guest's IPv4 from dnsmasq's lease file (`<expiry> <mac> <ip> <hostname> <client-id>`), if leased yet. */
export function leasedIp(host: LabHost, bridge: LabBridge, mac: string): string | undefined {
  const text = fs.existsSync(host.pathOnHost(bridge.leases)) ? fs.readFileSync(host.pathOnHost(bridge.leases), 'utf8') : '';
  return text.split('\n').map((l) => l.split(' ')).find((f) => f[1]?.toLowerCase() === mac.toLowerCase())?.[2];
}

/** `ssh -i KEY debian@IP <command>` inside the host's namespaces (never from the root namespace). */
export function sshInHost(host: LabHost, key: string, ip: string, command: string[], timeoutMs = 20_000): Promise<CommandResult> {
  return host.run('ssh', ['-i', key, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=5', '-o', 'LogLevel=ERROR', `${GUEST_USER}@${ip}`, ...command], timeoutMs);
}

export interface DebianGuestSpec {
  name: string;
  /** The qcow2 overlay in the host's pool (path as the host sees it). */
  disk: string;
  seed: string;
  bridge: string;
  mac: string;
  memoryMiB?: number;
}

/**
 * A TCG domain booting the image from its disk (extlinux), the seed as a read-only virtio disk
 * (as libs/domain renders it: the cloud kernel has no AHCI, so a SATA cdrom on q35 stays unseen),
 * one virtio NIC and the guest agent channel.
 */
export function debianGuestXml(g: DebianGuestSpec): string {
  const serial = serialLogPath(g.name);
  return `<domain type='qemu'>
  <name>${g.name}</name>
  <memory unit='MiB'>${g.memoryMiB ?? 512}</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type><boot dev='hd'/></os>
  <features><acpi/></features>
  <cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model></cpu>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='${g.disk}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='${g.seed}'/>
      <target dev='vdb' bus='virtio'/>
      <readonly/>
    </disk>
    <interface type='bridge'>
      <mac address='${g.mac}'/>
      <source bridge='${g.bridge}'/>
      <model type='virtio'/>
    </interface>
    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
    <serial type='file'><source path='${serial}' append='on'/><target port='0'/></serial>
    <console type='file'><source path='${serial}' append='on'/><target type='serial' port='0'/></console>
    <memballoon model='none'/>
  </devices>
</domain>`;
}

/** virsh on the host's own libvirtd; throws with its stderr. */
export async function virsh(host: LabHost, args: string[], timeoutMs = 30_000): Promise<string> {
  return mustOk(host.run('virsh', ['-q', '-c', 'qemu:///system', ...args], timeoutMs), `virsh ${args.join(' ')} on ${host.name}`);
}

async function mustOk(result: Promise<CommandResult>, what: string): Promise<string> {
  const r = await result;
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** Milliseconds since `t0`, for printed figures (never asserted). */
export const since = (t0: number): number => Date.now() - t0;
