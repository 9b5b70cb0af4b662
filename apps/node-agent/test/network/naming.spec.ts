import { createHash } from 'node:crypto';
import { bridgeName, gatewayMac, networkOfAlias, ownerAlias, vxlanName } from '../../src/network/naming';

describe('network device names', () => {
  it('hvs-/hvx- + the first 10 hex of sha256(name): 14 characters, under IFNAMSIZ', () => {
    const hex = createHash('sha256').update('quickstart').digest('hex').slice(0, 10);
    expect(bridgeName('quickstart')).toBe(`hvs-${hex}`);
    expect(vxlanName('quickstart')).toBe(`hvx-${hex}`);
    expect(bridgeName('a'.repeat(63))).toHaveLength(14);
  });

  it('differs per Network and is stable', () => {
    expect(bridgeName('lab')).not.toBe(bridgeName('lab2'));
    expect(bridgeName('lab')).toBe(bridgeName('lab'));
  });

  it('marks ownership with the alias hvs:<network> and reads it back', () => {
    expect(ownerAlias('lab')).toBe('hvs:lab');
    expect(networkOfAlias('hvs:lab')).toBe('lab');
    expect(networkOfAlias('libvirt default')).toBeUndefined();
    expect(networkOfAlias(undefined)).toBeUndefined();
  });

  it('derives a locally administered unicast gateway MAC, the same for one name on every node', () => {
    const mac = gatewayMac('overlay');
    expect(mac).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    expect(gatewayMac('overlay')).toBe(mac);
    expect(gatewayMac('overlay2')).not.toBe(mac);
  });
});
