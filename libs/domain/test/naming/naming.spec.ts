import fc from 'fast-check';
import {
  cloudInitSeedName, diskFileName, domainName, isHvsDomain, isHvsVolume, ownsVolume, renderDomainXml, seedFileName, uidOfDomain,
  vmDomainName, volumeName, type VirtualMachine,
} from '../../src';

const UID = '6f1c2a9e-3b7d-4c5e-9a8f-0123456789ab';
const OTHER = '6f1c2a9e-3b7d-4c5e-9a8f-0123456789ac';
const uuid = fc.uuid().map((u) => u.toLowerCase());
const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/);

const vm = (uid?: string): VirtualMachine => ({
  apiVersion: 'hvs/v1', kind: 'VirtualMachine', metadata: { name: 'web', ...(uid ? { uid } : {}) },
  spec: { cpu: { cores: 1 }, memory: { size: '64MiB' }, disks: [{ name: 'root', size: '1GiB' }], networks: [], runState: 'Running', cloudInit: { userData: '#cloud-config' } },
});

describe('naming (one module for every name a VM gets on a host)', () => {
  it('spells the on-host format: hvs-<uid>, hvs-<uid>-<disk>.<format>, hvs-<uid>-cidata.iso', () => {
    expect(domainName(UID)).toBe(`hvs-${UID}`);
    expect(volumeName(UID, 'root')).toBe(`hvs-${UID}-root.qcow2`);
    expect(volumeName(UID, 'data', 'raw')).toBe(`hvs-${UID}-data.raw`);
    expect(cloudInitSeedName(UID)).toBe(`hvs-${UID}-cidata.iso`);
  });

  it('reads a domain name back to its uid and leaves other domains alone', () => {
    expect(uidOfDomain(domainName(UID))).toBe(UID);
    expect(isHvsDomain(domainName(UID))).toBe(true);
    for (const other of ['legacy-db', 'hvs', 'hvs-', 'HVS-x', 'xhvs-1']) {
      expect(isHvsDomain(other)).toBe(false);
      expect(uidOfDomain(other)).toBeUndefined();
    }
  });

  it('tells the volumes of one VM from those of another and from foreign files', () => {
    expect(ownsVolume(volumeName(UID, 'root'), UID)).toBe(true);
    expect(ownsVolume(cloudInitSeedName(UID), UID)).toBe(true);
    expect(ownsVolume(volumeName(OTHER, 'root'), UID)).toBe(false);
    expect(ownsVolume(domainName(UID), UID)).toBe(false);
    expect(isHvsVolume(volumeName(OTHER, 'root'))).toBe(true);
    expect(isHvsVolume('debian-12.qcow2')).toBe(false);
  });

  it('round-trips and never confuses two uids (property)', () => {
    fc.assert(fc.property(uuid, uuid, label, (a, b, disk) => {
      expect(uidOfDomain(domainName(a))).toBe(a);
      expect(ownsVolume(volumeName(a, disk), a)).toBe(true);
      expect(ownsVolume(volumeName(a, disk), b)).toBe(a === b);
    }));
  });

  it('is what the renderer writes: the domain name, disk file and seed ISO of a VM come from here', () => {
    const v = vm(UID);
    expect(vmDomainName(v)).toBe(domainName(UID));
    expect(diskFileName(v, 'root', 'qcow2')).toBe(volumeName(UID, 'root'));
    expect(seedFileName(v)).toBe(cloudInitSeedName(UID));
    const xml = renderDomainXml(v, { domainType: 'qemu', pools: { default: { path: '/p' } }, networks: {} });
    expect(xml).toContain(`<name>${domainName(UID)}</name>`);
    expect(xml).toContain(`/p/${volumeName(UID, 'root')}`);
    expect(xml).toContain(`/p/${cloudInitSeedName(UID)}`);
    // Before the object has a uid (a preview), the name stands in for it.
    expect(vmDomainName(vm())).toBe(domainName('web'));
  });
});
