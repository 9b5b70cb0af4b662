/**
 * The tiny TCG guest of test/guest/build-guest.sh as a libvirt domain for the system tier: a
 * Debian kernel + busybox initrd printing HVS_GUEST_BOOTED then `tick N` each second on its
 * serial port, plus a small qcow2 disk in the host's own pool (not shared: migrations copy it).
 * Booted with netCmdline() it also reports DHCP rounds and pings (HVS_GUEST_DHCP/HVS_GUEST_PING).
 * Paths in the XML are as the host sees them, so the serial log of each host is its own file.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { serialLogPath } from '@hvs/domain';
import type { LabHost } from '../harness/two-hosts';

const run = promisify(execFile);
export const BOOT_MARKER = 'HVS_GUEST_BOOTED';
export const REPO_ROOT = resolve(__dirname, '../..');

export interface TinyGuestFiles {
  kernel: string;
  initrd: string;
}

/** Builds (or reuses from its cache) the kernel and initrd. `repoRoot` for callers compiled elsewhere (bench). */
export async function buildTinyGuest(repoRoot = REPO_ROOT): Promise<TinyGuestFiles> {
  const { stdout } = await run('bash', [resolve(repoRoot, 'test/guest/build-guest.sh')], { timeout: 300_000 });
  const kernel = /^KERNEL=(.*)$/m.exec(stdout)?.[1];
  const initrd = /^INITRD=(.*)$/m.exec(stdout)?.[1];
  if (!kernel || !initrd) throw new Error(`build-guest.sh printed no paths: ${stdout}`);
  return { kernel, initrd };
}

/**
 * Puts the kernel and initrd into each host's own pool under `tiny/` (spec.boot only boots
 * from a pool): `spec.boot: {kernel: tiny/vmlinuz, initrd: tiny/initrd.gz}`.
 */
export function installTinyGuest(files: TinyGuestFiles, hosts: readonly LabHost[], poolDir: string): void {
  for (const h of hosts) {
    mkdirSync(h.pathOnHost(`${poolDir}/tiny`), { recursive: true });
    copyFileSync(files.kernel, h.pathOnHost(`${poolDir}/tiny/vmlinuz`));
    copyFileSync(files.initrd, h.pathOnHost(`${poolDir}/tiny/initrd.gz`));
  }
}

/** The product's console log path (libs/domain renders it into every VM), so both kinds of test read the same file. */
export { serialLogPath };
export const diskPath = (name: string): string => `/var/lib/libvirt/images/${name}.qcow2`;

/** Creates the guest's disk in the host's pool dir (16 MiB virtual, nearly empty). */
export async function createDisk(host: LabHost, name: string): Promise<void> {
  const r = await host.run('qemu-img', ['create', '-q', '-f', 'qcow2', diskPath(name), '16M']);
  if (r.code !== 0) throw new Error(`qemu-img create on ${host.name} failed: ${r.stderr}`);
  const refresh = await host.run('virsh', ['-q', '-c', 'qemu:///system', 'pool-refresh', 'default']);
  if (refresh.code !== 0) throw new Error(`pool-refresh on ${host.name} failed: ${refresh.stderr}`);
}

export function tinyGuestXml(name: string, files: TinyGuestFiles, memoryMiB = 128): string {
  const serial = serialLogPath(name);
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>${memoryMiB}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>${files.kernel}</kernel>
    <initrd>${files.initrd}</initrd>
    <cmdline>console=ttyS0 quiet panic=-1</cmdline>
  </os>
  <features><acpi/></features>
  <cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model></cpu>
  <on_poweroff>destroy</on_poweroff>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none'/>
      <source file='${diskPath(name)}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <serial type='file'><source path='${serial}' append='on'/><target port='0'/></serial>
    <console type='file'><source path='${serial}' append='on'/><target type='serial' port='0'/></console>
    <memballoon model='none'/>
  </devices>
</domain>`;
}

export interface SerialLog {
  booted: boolean;
  /** Tick numbers in the order printed. */
  ticks: number[];
  /** With `hvs.net=1` on the cmdline: each DHCP round's outcome (the address eth0 got, or 'none'). */
  dhcp: { round: number; ip: string }[];
  /** With `hvs.ping=IP`: each round's single ping. */
  pings: { round: number; to: string; ok: boolean }[];
}

/** The kernel cmdline of a tiny guest that brings eth0 up by DHCP (and pings `ping` each round): build-guest.sh. */
export function netCmdline(ping?: string): string {
  return `console=ttyS0 quiet panic=-1 hvs.net=1${ping ? ` hvs.ping=${ping}` : ''}`;
}

/** Reads a host's copy of the guest's serial log (empty when it does not exist yet). */
export async function readSerial(host: LabHost, name: string): Promise<SerialLog> {
  const text = await readFile(host.pathOnHost(serialLogPath(name)), 'utf8').catch(() => '');
  const ticks = [...text.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
  const dhcp = [...text.matchAll(/HVS_GUEST_DHCP round=(\d+) ip=(\S+)/g)].map((m) => ({ round: Number(m[1]), ip: m[2]! }));
  const pings = [...text.matchAll(/HVS_GUEST_PING round=(\d+) to=(\S+) (ok|fail)/g)].map((m) => ({ round: Number(m[1]), to: m[2]!, ok: m[3] === 'ok' }));
  return { booted: text.includes(BOOT_MARKER), ticks, dhcp, pings };
}

export const lastTick = (log: SerialLog): number => log.ticks.at(-1) ?? 0;
