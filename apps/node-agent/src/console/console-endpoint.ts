import { HvsError, type ConsoleEndpoint } from '@hvs/domain';
import type { HypervisorDriver } from '../hypervisor';

/** A driver that can return a domain's live XML (LibvirtDriver and the fake, when they offer it). */
export interface DescribesXml {
  domainXml(name: string): Promise<string>;
}

export function describesXml(d: HypervisorDriver): d is HypervisorDriver & DescribesXml {
  return typeof (d as Partial<DescribesXml>).domainXml === 'function';
}

/**
 * The graphics console of a running domain, read from its live XML (`<graphics type port
 * listen>`): with autoport, libvirt picks the port at start, so only the live XML knows it.
 */
export async function consoleEndpoint(driver: HypervisorDriver, domain: string, node: string): Promise<ConsoleEndpoint> {
  const info = await driver.get(domain);
  if (info === undefined) {
    throw new HvsError({ code: 'HVS-AGENT-VM-NOT-FOUND', category: 'NotFound', message: `no domain ${domain} on node ${node}`, why: 'the VM is not assigned here or not defined yet', fix: 'check the VM\'s node with `hvctl get vm`' });
  }
  if (info.state !== 'running') {
    throw new HvsError({ code: 'HVS-AGENT-CONSOLE-NOT-RUNNING', category: 'FailedPrecondition', message: `${domain} is ${info.state}, not running`, why: 'a console port exists only while the guest runs', fix: 'start the VM (runState: Running) and ask again' });
  }
  if (!describesXml(driver)) {
    throw new HvsError({ code: 'HVS-AGENT-CONSOLE-UNAVAILABLE', category: 'FailedPrecondition', message: `the console of ${domain} cannot be read`, why: 'this hypervisor driver cannot return live domain XML', fix: 'use a driver with domainXml() (LibvirtDriver)' });
  }
  const xml = await driver.domainXml(domain);
  const g = /<graphics\b([^>]*)>/.exec(xml);
  const attr = (name: string) => (g ? new RegExp(`\\b${name}=['"]([^'"]*)['"]`).exec(g[1])?.[1] : undefined);
  const port = Number(attr('port') ?? -1);
  if (!g || !(port > 0)) {
    throw new HvsError({ code: 'HVS-AGENT-CONSOLE-UNAVAILABLE', category: 'FailedPrecondition', message: `${domain} has no graphics console port`, why: g ? 'libvirt reports no port (the test driver allocates none)' : 'the domain has no <graphics> device', fix: 'set spec.console (vnc or spice) and run the VM on a real libvirtd' });
  }
  const tlsPort = Number(attr('tlsPort') ?? 0) || 0;
  return { type: attr('type') ?? 'vnc', host: attr('listen') ?? '127.0.0.1', port, node, ...(tlsPort > 0 ? { tlsPort } : {}) };
}
