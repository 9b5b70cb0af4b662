/**
 * Whatever the strings, the generated user-data and network-config read back (as PyYAML would:
 * YAML 1.1) to exactly what was put in: no command, key or name can turn into another type,
 * break out of its list, or add a key.
 */
import fc from 'fast-check';
import { parse } from 'yaml';
import { renderCloudInitSeed, type CloudInitNic, type VirtualMachine } from '../../src';

const vm = (ci: NonNullable<VirtualMachine['spec']['cloudInit']>): VirtualMachine => ({
  apiVersion: 'hvs/v1', kind: 'VirtualMachine', metadata: { name: 'p-1', uid: 'u-1', generation: 1 },
  spec: { cpu: { cores: 1 }, memory: { size: '64MiB' }, disks: [], networks: [], runState: 'Running', cloudInit: ci },
});
const read = (text: string) => parse(text, { version: '1.1' }) as Record<string, unknown>;

describe('generated YAML reads back as written (YAML 1.1)', () => {
  it('runcmd, packages-like strings and secret bytes', () => {
    fc.assert(fc.property(
      fc.array(fc.string({ unit: 'binary', maxLength: 60 }), { maxLength: 5 }),
      fc.array(fc.oneof(fc.constantFrom('yes', 'no', 'on', '0600', '1:20', '~', 'null', '- x', '#c', '{a: b}', '*x', '&y', '!tag', '52:54:00:12:34:56')), { maxLength: 5 }),
      fc.uint8Array({ maxLength: 40 }),
      (cmds, tricky, bytes) => {
        const runcmd = [...cmds, ...tricky];
        const seed = renderCloudInitSeed(vm({ runcmd, secretRefs: ['s'] }), [], { secrets: { 's/k': bytes } });
        expect(seed.userData.startsWith('#cloud-config\n')).toBe(true);
        const doc = read(seed.userData);
        expect(Object.keys(doc).sort()).toEqual(['hostname', 'runcmd', 'write_files']);
        expect(doc['runcmd']).toEqual(runcmd);
        expect(Buffer.from((doc['write_files'] as Array<{ content: string }>)[0]!.content, 'base64')).toEqual(Buffer.from(bytes));
      },
    ), { numRuns: 300 });
  });

  it('network-config keeps MACs and addresses as strings', () => {
    const hex = fc.integer({ min: 0, max: 255 }).map((n) => n.toString(16).padStart(2, '0'));
    fc.assert(fc.property(fc.array(hex, { minLength: 3, maxLength: 3 }), fc.boolean(), (b, stat) => {
      const mac = `52:54:00:${b.join(':')}`;
      const nic: CloudInitNic = { name: 'eth0', network: 'n', mac, ipv4: '10.0.0.2', prefixLength: 24, gateway: '10.0.0.1', dnsName: '', static: stat, dnsServers: ['10.0.0.1'] };
      const doc = read(renderCloudInitSeed(vm({}), [nic], { secrets: {} }).networkConfig) as { ethernets: Record<string, { match: { macaddress: unknown }; addresses?: unknown }> };
      expect(doc.ethernets['eth0']!.match.macaddress).toBe(mac);
      if (stat) expect(doc.ethernets['eth0']!.addresses).toEqual(['10.0.0.2/24']);
    }), { numRuns: 200 });
  });
});
