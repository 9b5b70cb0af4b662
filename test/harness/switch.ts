/**
 * A "switch": a network namespace holding a Linux bridge, with one veth whose root-namespace
 * end carries an address (where a controller in the test process listens), and a veth per
 * plugged namespace. Lets processes in several namespaces (agents) and the test process reach
 * each other on one /24 while their hosts keep their own links (the chaos lab, two-hosts'
 * uplink). Deleting the switch namespace deletes every veth with it (their peers die too).
 *
 * The caller records the switch namespace in its run record (netns.ts) before calling
 * addSwitch, so a crashed run is swept like the rest.
 */
import { randomBytes } from 'node:crypto';
import { addNetns, mustRun } from './netns';

/** A /24 under `prefix` (e.g. '10.79') that no route of the root namespace covers yet. */
export async function freeSubnet(prefix: string): Promise<(host: number) => string> {
  const routes = (await mustRun('ip', ['-4', 'route'])).split('\n');
  for (let tries = 0; tries < 50; tries++) {
    const c = 1 + (randomBytes(1)[0]! % 250);
    if (!routes.some((r) => r.startsWith(`${prefix}.${c}.`))) return (host) => `${prefix}.${c}.${host}`;
  }
  throw new Error(`no free ${prefix}.x.0/24 subnet for a lab switch`);
}

/** Creates namespace `sw` with bridge br0, and the root end `rootDev` (<= 15 chars) at `rootCidr`. */
export async function addSwitch(sw: string, rootDev: string, rootCidr: string): Promise<void> {
  await addNetns(sw);
  await mustRun('ip', ['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
  await mustRun('ip', ['-n', sw, 'link', 'set', 'br0', 'up']);
  await mustRun('ip', ['link', 'add', rootDev, 'type', 'veth', 'peer', 'name', 'ctl', 'netns', sw]);
  await mustRun('ip', ['addr', 'add', rootCidr, 'dev', rootDev]);
  await mustRun('ip', ['link', 'set', rootDev, 'up']);
  await mustRun('ip', ['-n', sw, 'link', 'set', 'ctl', 'master', 'br0', 'up']);
}

/** Plugs namespace `ns` into the switch: port `port` on the bridge, `device` at `cidr` inside `ns`. */
export async function plugIntoSwitch(sw: string, port: string, ns: string, device: string, cidr: string): Promise<void> {
  await mustRun('ip', ['-n', sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', device, 'netns', ns]);
  await mustRun('ip', ['-n', sw, 'link', 'set', port, 'master', 'br0', 'up']);
  await mustRun('ip', ['-n', ns, 'addr', 'add', cidr, 'dev', device]);
  await mustRun('ip', ['-n', ns, 'link', 'set', device, 'up']);
}
