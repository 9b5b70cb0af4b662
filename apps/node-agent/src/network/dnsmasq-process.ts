/**
 * One dnsmasq per Network, found by its pid file and proven ours by its command line (it must
 * name our config file: a recycled pid is never signalled). Guarantees: an unchanged config
 * leaves a running dnsmasq alone (agent restarts adopt it); changed host files are reloaded
 * with SIGHUP; a changed config restarts it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DNSMASQ_FILES } from './dnsmasq-config';
import { dnsmasqFailed } from './errors';
import type { HostCommands } from './host-commands';
import { cmd } from './plan';

/** The pid of the dnsmasq serving `dir`, or undefined when none runs. */
export async function runningDnsmasq(dir: string): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number((await readFile(join(dir, DNSMASQ_FILES.pid), 'utf8')).trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  try {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return argv.some((a) => a === cmd.dnsmasq(dir)[1]) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function startDnsmasq(run: HostCommands, network: string, dir: string): Promise<void> {
  // dnsmasq forks; its parent exits only after the daemon bound its sockets, with the reason on stderr if it could not.
  const r = await run.run(cmd.dnsmasq(dir));
  if (r.code !== 0) throw dnsmasqFailed(network, r.stderr || r.stdout);
}

export async function stopDnsmasq(dir: string, waitMs = 5000): Promise<void> {
  const pid = await runningDnsmasq(dir);
  if (pid === undefined) return;
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline && (await alive(pid))) await new Promise((r) => setTimeout(r, 20));
  if (await alive(pid)) signal(pid, 'SIGKILL');
}

export function reloadDnsmasq(pid: number): void {
  signal(pid, 'SIGHUP');
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
