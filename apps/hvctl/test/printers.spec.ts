import { parse } from 'yaml';
import { colourEnabled } from '../src/io';
import { palette, visibleLength } from '../src/printers/colour';
import { renderInterfaces, renderResources, renderResourceTable, vmAddresses, type ShownResource } from '../src/printers/resources';
import { renderDescribe } from '../src/commands/get';
import { formatAge, formatBytes, renderTable } from '../src/printers/table';
import { renderPlan } from '../src/commands/apply';

const NOW = Date.parse('2026-01-01T12:00:00Z');

const vm = (name: string, phase: string | undefined, extra: Partial<ShownResource> = {}): ShownResource => ({
  apiVersion: 'hvs/v1', kind: 'VirtualMachine',
  metadata: { name, creationTimestamp: '2026-01-01T11:55:00Z', generation: 1 },
  spec: { cpu: { cores: 2, sockets: 2 }, memory: { size: '256MiB' }, disks: [], networks: [], runState: 'Running' },
  ...(phase ? { status: { phase, node: 'node-1', ips: ['10.88.0.101'] } } : {}),
  ...extra,
});

/** Column start offsets of a header line (runs of 3+ spaces separate columns). */
function columnStarts(line: string): number[] {
  const starts = [0];
  const re = /\s{3,}(?=\S)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) starts.push(m.index + m[0].length);
  return starts;
}

describe('tables', () => {
  it('aligns every column under its header, three spaces apart, without trailing spaces', () => {
    const out = renderTable(['NAME', 'PHASE', 'AGE'], [['a', 'Running', '5m'], ['much-longer-name', 'Pending', '10s']]);
    const lines = out.trimEnd().split('\n');
    expect(lines).toEqual([
      'NAME               PHASE     AGE',
      'a                  Running   5m',
      'much-longer-name   Pending   10s',
    ]);
    expect(lines.every((l) => l === l.trimEnd())).toBe(true);
  });

  it('keeps alignment when cells carry colour codes', () => {
    const p = palette(true);
    const out = renderTable(['NAME', 'PHASE', 'AGE'], [['a', p.green('Running'), '5m'], ['bb', p.red('Failed'), '1h']]);
    // eslint-disable-next-line no-control-regex
    const plain = out.replace(/\u001b\[[0-9;]*m/g, '');
    expect(plain.split('\n').slice(0, 3)).toEqual(['NAME   PHASE     AGE', 'a      Running   5m', 'bb     Failed    1h']);
    expect(out).toContain('\u001b[32mRunning\u001b[39m');
    expect(visibleLength(p.green('Running'))).toBe(7);
  });

  it('formats ages like kubectl and sizes in binary units', () => {
    expect(formatAge('2026-01-01T11:59:15Z', NOW)).toBe('45s');
    expect(formatAge('2026-01-01T11:00:00Z', NOW)).toBe('60m');
    expect(formatAge('2025-12-31T00:00:00Z', NOW)).toBe('36h');
    expect(formatAge('2025-12-01T12:00:00Z', NOW)).toBe('31d');
    expect(formatAge(undefined, NOW)).toBe('<unknown>');
    expect(formatBytes(268435456)).toBe('256MiB');
    expect(formatBytes(8_372_482_048)).toBe('7.8GiB');
  });
});

describe('resource printers', () => {
  const items = [vm('demo-1', 'Running'), vm('demo-2', undefined)];

  it('prints VMs with NAME PHASE NODE CPU MEMORY AGE; vCPUs are sockets*cores*threads; no status reads Pending', () => {
    const out = renderResourceTable('VirtualMachine', items, { wide: false, palette: palette(false), now: NOW });
    expect(out).toBe([
      'NAME     PHASE     NODE     CPU   MEMORY   AGE',
      'demo-1   Running   node-1   4     256MiB   5m',
      'demo-2   Pending   <none>   4     256MiB   5m',
      '',
    ].join('\n'));
  });

  it('-o wide adds runState, IPs and console; header and rows line up', () => {
    const out = renderResourceTable('VirtualMachine', items, { wide: true, palette: palette(false), now: NOW });
    const [header, ...rows] = out.trimEnd().split('\n');
    expect(header).toMatch(/^NAME +PHASE +NODE +CPU +MEMORY +AGE +RUNSTATE +IPS +CONSOLE$/);
    const starts = columnStarts(header!);
    for (const row of rows) for (const s of starts.slice(1)) expect(row[s - 1]).toBe(' ');
    expect(rows[0]).toContain('10.88.0.101');
  });

  it('IPS comes from status.interfaces: one NIC prints its address, several print name=address, ips is the fallback', () => {
    const eth0 = { name: 'eth0', mac: '52:54:00:00:00:01', network: 'lan', ipv4: '10.88.0.100', source: 'lease' };
    expect(vmAddresses({ interfaces: [eth0], ips: ['10.88.0.100'] })).toBe('10.88.0.100');
    expect(vmAddresses({ interfaces: [eth0, { name: 'eth1', mac: '52:54:00:00:00:02', network: 'db', ipv4: '10.89.0.7' }] })).toBe('eth0=10.88.0.100,eth1=10.89.0.7');
    // A NIC with only IPv6 prints that; a NIC without any address is left out.
    expect(vmAddresses({ interfaces: [eth0, { name: 'eth1', mac: '52:54:00:00:00:02', network: 'v6', ipv6: ['fd00::5'] }, { name: 'eth2', mac: '52:54:00:00:00:03', network: 'br' }] }))
      .toBe('eth0=10.88.0.100,eth1=fd00::5');
    expect(vmAddresses({ interfaces: [{ name: 'eth0', mac: '52:54:00:00:00:01', network: 'br' }], ips: ['192.0.2.9'] })).toBe('192.0.2.9');
    expect(vmAddresses({ ips: ['10.0.0.1', 'fd00::1'] })).toBe('10.0.0.1,fd00::1');
    expect(vmAddresses({})).toBe('<none>');
    const out = renderResourceTable('VirtualMachine', [vm('demo-1', 'Running', { status: { phase: 'Running', node: 'node-1', interfaces: [eth0] } })], { wide: true, palette: palette(false), now: NOW });
    expect(out.split('\n')[1]).toMatch(/ Running +10\.88\.0\.100 +<none>$/);
  });

  it('describe vm shows an Interfaces table (NAME MAC NETWORK IPV4 IPV6 SOURCE DNS) instead of the interfaces YAML', () => {
    const status = { phase: 'Running', interfaces: [
      { name: 'eth0', mac: '52:54:00:ab:cd:ef', network: 'lan', ipv4: '10.88.0.100', ipv6: ['fd00::100', 'fe80::1'], source: 'guest-agent', dnsName: 'demo-1.lan' },
      { name: 'eth1', mac: '52:54:00:ab:cd:f0', network: 'br0' },
    ] };
    expect(renderInterfaces(status)!.trimEnd().split('\n')).toEqual([
      'NAME   MAC                 NETWORK   IPV4          IPV6                SOURCE        DNS',
      'eth0   52:54:00:ab:cd:ef   lan       10.88.0.100   fd00::100,fe80::1   guest-agent   demo-1.lan',
      'eth1   52:54:00:ab:cd:f0   br0       <none>        <none>              <none>        <none>',
    ]);
    expect(renderInterfaces({ ips: ['10.0.0.1'] })).toBeUndefined();
    const rt = { palette: () => palette(false), io: { now: () => NOW } } as unknown as Parameters<typeof renderDescribe>[2];
    const text = renderDescribe(vm('demo-1', 'Running', { status }), [], rt);
    expect(text).toMatch(/\nInterfaces:\n {2}NAME +MAC +NETWORK +IPV4 +IPV6 +SOURCE +DNS\n {2}eth0 +52:54:00:ab:cd:ef +lan +10\.88\.0\.100 /);
    expect(text.indexOf('Interfaces:')).toBeLessThan(text.indexOf('Conditions:'));
    expect(text).not.toContain('dnsName:');
  });

  it('prints Nodes with readiness and SchedulingDisabled when cordoned', () => {
    const node: ShownResource = {
      apiVersion: 'hvs/v1', kind: 'Node', metadata: { name: 'node-1', creationTimestamp: '2026-01-01T10:00:00Z' },
      spec: { cordoned: true, address: '127.0.0.1:7450' },
      status: { capacity: { cpus: 2, memoryBytes: 25769803776 }, conditions: [{ type: 'Ready', status: 'True' }], hypervisor: { mode: 'test', uri: 'test:///default' } },
    };
    const out = renderResourceTable('Node', [node], { wide: true, palette: palette(false), now: NOW });
    expect(out.split('\n')[1]).toMatch(/^node-1 +Ready,SchedulingDisabled +2 +24GiB +2h +127\.0\.0\.1:7450 +test +<none>$/);
  });

  it('-o json and -o yaml print one object for a NAME and a List otherwise; -o name prints kind/name', () => {
    expect(JSON.parse(renderResources('json', [items[0]!], true))).toEqual(items[0]);
    const list = JSON.parse(renderResources('json', items, false));
    expect(list).toMatchObject({ apiVersion: 'hvs/v1', kind: 'List' });
    expect(list.items.map((i: ShownResource) => i.metadata.name)).toEqual(['demo-1', 'demo-2']);
    expect(parse(renderResources('yaml', items, false)).items[1].metadata.name).toBe('demo-2');
    expect(renderResources('name', items, false)).toBe('virtualmachine/demo-1\nvirtualmachine/demo-2\n');
  });

  it('--no-headers drops the header line only', () => {
    const out = renderResourceTable('VirtualMachine', items, { wide: false, palette: palette(false), now: NOW, noHeaders: true });
    expect(out.split('\n')[0]).toMatch(/^demo-1 /);
  });
});

describe('colour', () => {
  it('is on only for a terminal, and never with NO_COLOR or --no-color', () => {
    expect(colourEnabled({ env: {} }, true)).toBe(true);
    expect(colourEnabled({ env: {} }, false)).toBe(false);
    expect(colourEnabled({ env: { NO_COLOR: '1' } }, true)).toBe(false);
    expect(colourEnabled({ env: { NO_COLOR: '' } }, true)).toBe(true);
    expect(colourEnabled({ env: {} }, true, true)).toBe(false);
  });

  it('a disabled palette returns text untouched', () => {
    const p = palette(false);
    expect(p.red('x') + p.green('y') + p.bold('z')).toBe('xyz');
  });
});

describe('plan printer', () => {
  it('shows creates, updates with per-field effects, deletes, and a summary', () => {
    const out = renderPlan([
      { kind: 'Network', name: 'quickstart', action: 'create', changes: [] },
      { kind: 'VirtualMachine', name: 'demo-1', action: 'update', changes: [
        { path: 'spec.memory.size', old: '256MiB', new: '512MiB', effect: 'restart' },
        { path: 'metadata.labels.tier', new: 'web', effect: 'none' },
      ] },
      { kind: 'VirtualMachine', name: 'demo-2', action: 'unchanged', changes: [] },
      { kind: 'VirtualMachine', name: 'old', action: 'delete', changes: [] },
    ], palette(false), false);
    expect(out).toBe([
      '+ Network/quickstart (create)',
      '~ VirtualMachine/demo-1 (update, restart required)',
      '    spec.memory.size: "256MiB" -> "512MiB" (restart)',
      '    metadata.labels.tier: (none) -> "web"',
      '- VirtualMachine/old (delete)',
      '',
      'Plan: 1 to create, 1 to update (1 needs restart), 1 unchanged, 1 to delete.',
      '',
    ].join('\n'));
  });

  it('says so when nothing changes, and masks sensitive values', () => {
    expect(renderPlan([{ kind: 'VirtualMachine', name: 'a', action: 'unchanged', changes: [] }], palette(false), false)).toMatch(/^No changes: every object already matches\.\n\nPlan: 0 to create, 0 to update, 1 unchanged\.\n$/);
    const out = renderPlan([{ kind: 'VirtualMachine', name: 'a', action: 'update', changes: [{ path: 'spec.cloudInit.userData', old: '***', new: '***', effect: 'restart', sensitive: true }] }], palette(false), false);
    expect(out).toContain('spec.cloudInit.userData: (sensitive value changed) (restart)');
  });
});
