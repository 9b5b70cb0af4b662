import { decideHypervisor, HYPERVISOR_MODES, type HypervisorWish } from '../../src';

const facts = (kvmUsable: boolean, libvirtdReachable: boolean) => ({ kvmUsable, libvirtdReachable });

describe('decideHypervisor (shared by the node agent and hvctl)', () => {
  it('auto: KVM when /dev/kvm works and libvirtd answers, else TCG, else the test driver, saying which and why', () => {
    expect(decideHypervisor('auto', facts(true, true))).toEqual({ mode: 'kvm', domainType: 'kvm', reason: expect.stringMatching(/libvirtd answers on qemu:\/\/\/system; KVM is usable/) });
    expect(decideHypervisor('auto', facts(false, true))).toEqual({ mode: 'qemu', domainType: 'qemu', reason: expect.stringMatching(/KVM is not usable .*QEMU TCG emulation/) });
    for (const kvm of [true, false]) {
      expect(decideHypervisor('auto', facts(kvm, false))).toEqual({ mode: 'test', domainType: 'qemu', reason: expect.stringMatching(/^no libvirtd answers on qemu:\/\/\/system: libvirt's test driver, no guest really runs/) });
    }
  });

  it('kvm: KVM only when usable, otherwise TCG with the reason (whether libvirtd answers or not)', () => {
    for (const libvirtd of [true, false]) {
      expect(decideHypervisor('kvm', facts(true, libvirtd))).toMatchObject({ mode: 'kvm', domainType: 'kvm' });
      expect(decideHypervisor('kvm', facts(false, libvirtd))).toMatchObject({ mode: 'qemu', domainType: 'qemu', reason: expect.stringContaining('KVM is not usable') });
    }
  });

  it('qemu and test are taken as asked, whatever the probes say', () => {
    for (const [k, l] of [[true, true], [false, false], [true, false], [false, true]] as const) {
      expect(decideHypervisor('qemu', facts(k, l))).toMatchObject({ mode: 'qemu', domainType: 'qemu' });
      expect(decideHypervisor('test', facts(k, l))).toMatchObject({ mode: 'test', domainType: 'qemu', reason: expect.stringContaining('no guest really runs') });
    }
  });

  it('never renders kvm for a mode other than kvm, and always gives a reason', () => {
    for (const wish of [...HYPERVISOR_MODES, 'auto'] as HypervisorWish[]) {
      for (const [k, l] of [[true, true], [false, false], [true, false], [false, true]] as const) {
        const d = decideHypervisor(wish, facts(k, l));
        expect(d.domainType === 'kvm').toBe(d.mode === 'kvm');
        expect(d.reason.length).toBeGreaterThan(10);
      }
    }
  });
});
