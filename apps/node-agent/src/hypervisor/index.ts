export * from './driver';
export { confinementOf, ENABLE_APPARMOR_FIX, parseSecModels, readKernelMac, type Confinement, type HostSecurity } from './confinement';
export { isDirtyRateSampling, parseDirtyRateStats, type DirtyRateSample, type DirtyRateSampling } from './dirty-rate';
export { parseDomifaddr, readsGuestAddresses, type GuestAddressReading, type GuestNic } from './guest-addresses';
export { isConnectionError, toHvsError } from './errors';
export { FakeHypervisorDriver, type FakeDriverOptions, type FakeOp } from './fake-driver';
export { readHostHardware } from './host-hardware';
export { LibvirtDriver, type LibvirtDriverOptions } from './libvirt-driver';
export { renderTestNodeXml, writeTestNode, type TestNodeOptions } from './test-node-xml';
