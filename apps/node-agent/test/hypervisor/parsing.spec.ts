import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isConnectionError, readHostHardware, toHvsError } from '../../src/hypervisor';
import { EventHub } from '../../src/hypervisor/event-hub';
import { transitionEvents } from '../../src/hypervisor/libvirt-events';
import { parseDomstats, parseEventLine, parseJobInfo, parseVersion } from '../../src/hypervisor/virsh';

describe('virsh output parsing', () => {
  it('parses lifecycle event lines with their timestamp, ignores others', () => {
    expect(parseEventLine("2025-03-01 10:00:00.250+0100: event 'lifecycle' for domain 'hvs-a': Started Booted")).toEqual({
      type: 'started', name: 'hvs-a', detail: 'Booted', at: Date.parse('2025-03-01T09:00:00.250Z'), source: 'libvirt',
    });
    expect(parseEventLine("event 'lifecycle' for domain 'x': Crashed Panicked", () => 7)).toMatchObject({ type: 'crashed', at: 7 });
    expect(parseEventLine("2025-03-01 10:00:00.250+0000: event 'reboot' for domain 'hvs-a'")).toBeUndefined();
    expect(parseEventLine('events received: 3')).toBeUndefined();
  });

  it('sums per-disk and per-NIC counters from domstats', () => {
    const s = parseDomstats('vm', [
      "Domain: 'vm'", '  state.state=1', '  cpu.time=5000', '  balloon.current=131072',
      '  block.count=2', '  block.0.rd.bytes=10', '  block.0.wr.bytes=1', '  block.1.rd.bytes=5', '  block.1.wr.bytes=2',
      '  net.count=1', '  net.0.rx.bytes=100', '  net.0.tx.bytes=50',
    ].join('\n'));
    expect(s).toEqual({ name: 'vm', state: 'running', cpuTimeNs: 5000, memoryBytes: 128 * 1024 * 1024, blockRdBytes: 15, blockWrBytes: 3, netRxBytes: 100, netTxBytes: 50, detail: 'full' });
  });

  it('parses domjobinfo with units, and knows when no job runs', () => {
    const p = parseJobInfo(['Job type:         Unbounded', 'Time elapsed:     1200         ms', 'Data processed:   1.500 MiB', 'Data remaining:   512.000 KiB', 'Data total:       2.000 MiB'].join('\n'), false);
    expect(p).toEqual({ phase: 'running', elapsedMs: 1200, dataProcessedBytes: 1572864, dataRemainingBytes: 524288, dataTotalBytes: 2097152, downtimeMs: undefined });
    expect(parseJobInfo('Job type:         Completed\nTotal downtime:   31           ms', true)).toMatchObject({ phase: 'completed', downtimeMs: 31 });
    expect(parseJobInfo('Job type:         None', false)).toBeUndefined();
  });

  it('reads libvirt and QEMU versions', () => {
    expect(parseVersion('Using library: libvirt 9.0.0\nRunning hypervisor: QEMU 7.2.0\n')).toEqual({ libvirt: '9.0.0', qemu: '7.2.0' });
    expect(parseVersion('Using library: libvirt 9.0.0\nRunning hypervisor: TEST 0.0.2\n')).toEqual({ libvirt: '9.0.0', qemu: undefined });
  });
});

describe('state transitions as events', () => {
  it.each([
    [undefined, 'shutoff', ['defined']],
    [undefined, 'running', ['defined', 'started']],
    ['shutoff', 'running', ['started']],
    ['running', 'paused', ['suspended']],
    ['paused', 'running', ['resumed']],
    ['running', 'shutoff', ['stopped']],
    ['running', 'crashed', ['crashed']],
    ['running', undefined, ['stopped', 'undefined']],
    ['shutoff', undefined, ['undefined']],
    ['running', 'running', []],
  ] as const)('%p -> %p gives %p', (prev, next, want) => {
    expect(transitionEvents(prev, next)).toEqual(want);
  });
});

describe('libvirt error mapping', () => {
  const ctx = { op: 'start', domain: 'vm1', uri: 'qemu:///system' };
  it.each([
    ['Domain not found: no domain with matching name', 'HVS-LIBVIRT-DOMAIN-NOT-FOUND', 'NotFound'],
    ['Cannot recv data: Connection reset by peer', 'HVS-LIBVIRT-UNAVAILABLE', 'Unavailable'],
    ["Failed to connect socket to '/run/libvirt/libvirt-sock': No such file or directory", 'HVS-LIBVIRT-UNAVAILABLE', 'Unavailable'],
    ['Requested operation is not valid: domain is already running', 'HVS-LIBVIRT-INVALID-STATE', 'FailedPrecondition'],
    ["Cannot find 'qemu-system-x86_64' emulator", 'HVS-LIBVIRT-EMULATOR-MISSING', 'FailedPrecondition'],
    ['something nobody expected', 'HVS-LIBVIRT-FAILED', 'Internal'],
  ])('%p -> %s', (text, code, category) => {
    const e = toHvsError(new Error(text), ctx);
    expect(e).toMatchObject({ code, category, why: text, message: "libvirt start of domain 'vm1' failed on qemu:///system" });
    expect(e.fix).not.toContain('<uri>');
  });

  it('only connection failures trigger a reconnect', () => {
    expect(isConnectionError(new Error('End of file while reading data: Input/output error'))).toBe(true);
    expect(isConnectionError(new Error('Domain not found'))).toBe(false);
  });
});

describe('host hardware from /sys', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'hvs-sys-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('reads PCI devices, IOMMU groups and hugepages from a sysfs tree', async () => {
    const dev = join(root, 'sys/bus/pci/devices/0000:01:00.0');
    await mkdir(dev, { recursive: true });
    await writeFile(join(dev, 'vendor'), '0x10de\n');
    await writeFile(join(dev, 'device'), '0x1eb8\n');
    await writeFile(join(dev, 'class'), '0x030000\n');
    await mkdir(join(root, 'drivers/vfio-pci'), { recursive: true });
    await symlink(join(root, 'drivers/vfio-pci'), join(dev, 'driver'));
    await mkdir(join(root, 'sys/kernel/iommu_groups/7/devices/0000:01:00.0'), { recursive: true });
    const hp = join(root, 'sys/kernel/mm/hugepages/hugepages-2048kB');
    await mkdir(hp, { recursive: true });
    await writeFile(join(hp, 'nr_hugepages'), '64\n');
    await writeFile(join(hp, 'free_hugepages'), '60\n');
    const hw = await readHostHardware(join(root, 'sys'), join(root, 'no-kvm'), join(root, 'no-cpuinfo'));
    expect(hw).toEqual({
      pciDevices: [{ address: '0000:01:00.0', vendor: '10de', device: '1eb8', class: '030000', driver: 'vfio-pci', iommuGroup: 7 }],
      iommuGroups: { 7: ['0000:01:00.0'] },
      hugepages: [{ pageSizeKiB: 2048, total: 64, free: 60 }],
      kvmUsable: false,
    });
  });

  it('tolerates a host without these directories', async () => {
    expect(await readHostHardware(join(root, 'absent'), join(root, 'no-kvm'))).toEqual({ pciDevices: [], iommuGroups: {}, hugepages: [], kvmUsable: false });
  });

  it('KVM counts as usable only with /dev/kvm and vmx/svm', async () => {
    await writeFile(join(root, 'kvm'), '');
    await writeFile(join(root, 'cpuinfo-pvm'), 'flags\t: fpu sse2 hypervisor\n');
    await writeFile(join(root, 'cpuinfo-vmx'), 'flags\t: fpu vmx sse2\n');
    expect((await readHostHardware(join(root, 'absent'), join(root, 'kvm'), join(root, 'cpuinfo-pvm'))).kvmUsable).toBe(false);
    expect((await readHostHardware(join(root, 'absent'), join(root, 'kvm'), join(root, 'cpuinfo-vmx'))).kvmUsable).toBe(true);
  });
});

describe('EventHub', () => {
  it('answers concurrent next() calls in order and drops nothing', async () => {
    const hub = new EventHub<number>();
    const it = hub.subscribe()[Symbol.asyncIterator]();
    const a = it.next();
    const b = it.next();
    hub.publish(1);
    hub.publish(2);
    hub.publish(3);
    expect([(await a).value, (await b).value, (await it.next()).value]).toEqual([1, 2, 3]);
    hub.close();
    expect((await it.next()).done).toBe(true);
  });
});
