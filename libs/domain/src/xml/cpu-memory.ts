/**
 * `<memory>`, `<memoryBacking>`, `<vcpu>`, `<cputune>` and `<cpu>` from spec.cpu / spec.memory.
 * Throws HvsError (HVS-XML-...) for shapes libvirt or QEMU would refuse later at start time
 * (hugepage misalignment, NUMA cells not adding up), so the error reaches the user at apply.
 */
import { type VirtualMachineSpec, vcpuCount } from '../kinds/vm';
import { el, type XmlElement } from './builder';
import { type HostFacts, xmlError } from './host-facts';
import { parseCpuset } from '../formats/formats';
import { sizeToKiB } from './size';

export interface CpuMemoryXml {
  memory: XmlElement[];
  vcpu: XmlElement[];
  cpu: XmlElement;
}

export function renderCpuMemory(spec: VirtualMachineSpec, host: HostFacts): CpuMemoryXml {
  const memKiB = sizeToKiB(spec.memory.size, 'spec.memory.size');
  const vcpus = checkedVcpus(spec.cpu);
  const memory = [el('memory', { unit: 'KiB' }, String(memKiB)), el('currentMemory', { unit: 'KiB' }, String(memKiB))];
  const pageSize = spec.memory.hugepages?.pageSize;
  if (pageSize !== undefined) {
    const pageKiB = sizeToKiB(pageSize, 'spec.memory.hugepages.pageSize');
    if (memKiB % pageKiB !== 0) {
      throw xmlError('HVS-XML-HUGEPAGES-UNALIGNED', 'InvalidArgument', 'spec.memory.size',
        `memory ${spec.memory.size} is not a whole number of ${pageSize} huge pages`,
        'QEMU backs guest RAM with whole huge pages and refuses to start otherwise',
        `round spec.memory.size to a multiple of ${pageSize}`);
    }
    memory.push(el('memoryBacking', {}, el('hugepages', {}, el('page', { size: pageKiB, unit: 'KiB' }))));
  }

  const vcpu = [el('vcpu', { placement: 'static' }, String(vcpus))];
  const pins = spec.cpu.pinning ?? [];
  if (pins.length > 0) {
    const seen = new Set<number>();
    const pinEls = pins.map((p, i) => {
      if (!Number.isInteger(p.vcpu) || p.vcpu < 0 || p.vcpu >= vcpus || seen.has(p.vcpu)) {
        throw xmlError('HVS-XML-PINNING-INVALID', 'InvalidArgument', `spec.cpu.pinning[${i}].vcpu`,
          `vCPU ${p.vcpu} cannot be pinned`,
          `the VM has vCPUs 0..${vcpus - 1} and each may be pinned once`,
          'pin each vCPU number at most once, counting from 0');
      }
      seen.add(p.vcpu);
      return el('vcpupin', { vcpu: p.vcpu, cpuset: p.hostCpus });
    });
    vcpu.push(el('cputune', {}, pinEls));
  }

  return { memory, vcpu, cpu: renderCpu(spec, host, vcpus, memKiB) };
}

function renderCpu(spec: VirtualMachineSpec, host: HostFacts, vcpus: number, memKiB: number): XmlElement {
  const cpu = spec.cpu;
  const topology = el('topology', { sockets: cpu.sockets ?? 1, cores: cpu.cores, threads: cpu.threads ?? 1 });
  const numa = renderNuma(spec, vcpus, memKiB);
  const model = cpu.model ?? 'host-passthrough';
  if (model === 'host-passthrough') {
    // TCG cannot pass the host CPU through; 'maximum' is libvirt's TCG equivalent (all features QEMU can emulate).
    const mode = host.domainType === 'qemu' ? 'maximum' : 'host-passthrough';
    return el('cpu', { mode, check: 'none', migratable: 'on' }, topology, numa);
  }
  if (model === 'host-model') return el('cpu', { mode: 'host-model', check: 'partial' }, topology, numa);
  return el('cpu', { mode: 'custom', match: 'exact', check: 'partial' }, el('model', { fallback: 'forbid' }, model), topology, numa);
}

/** libvirt's own rules, checked here so they surface at apply, not at define on the host. */
function renderNuma(spec: VirtualMachineSpec, vcpus: number, memKiB: number): XmlElement | undefined {
  const cells = spec.cpu.numa?.cells ?? [];
  if (cells.length === 0) return undefined;
  let total = 0;
  const ids = new Set<number>();
  const owner = new Map<number, number>();
  const cellEls = cells.map((c, i) => {
    const field = `spec.cpu.numa.cells[${i}]`;
    if (!Number.isInteger(c.id) || c.id < 0 || c.id >= cells.length || ids.has(c.id)) {
      throw xmlError('HVS-XML-NUMA-CELL-ID', 'InvalidArgument', `${field}.id`, `NUMA cell id ${c.id} is out of place`,
        `libvirt needs exactly one cell per id 0..${cells.length - 1}`, 'number the cells 0, 1, 2... without gaps or repeats');
    }
    ids.add(c.id);
    const cpus = parseCpuset(c.cpus);
    const bad = cpus === undefined ? undefined : cpus.find((n) => n >= vcpus || owner.has(n));
    if (cpus === undefined || cpus.length === 0 || bad !== undefined) {
      throw xmlError('HVS-XML-NUMA-CPUS-INVALID', 'InvalidArgument', `${field}.cpus`,
        bad === undefined ? `cpus ${JSON.stringify(c.cpus)} is not a usable vCPU list` : `vCPU ${bad} is outside 0..${vcpus - 1} or already in cell ${owner.get(bad)}`,
        'each NUMA cell lists its own vCPUs, numbered from 0 and below the VM\'s vCPU count, with no vCPU in two cells',
        `write cpus like "0-3"; the VM has vCPUs 0..${vcpus - 1}`);
    }
    for (const n of cpus) owner.set(n, c.id);
    const kib = sizeToKiB(c.memory, `${field}.memory`);
    total += kib;
    return el('cell', { id: c.id, cpus: c.cpus, memory: kib, unit: 'KiB' });
  });
  if (total !== memKiB) {
    throw xmlError('HVS-XML-NUMA-MEMORY-MISMATCH', 'InvalidArgument', 'spec.cpu.numa.cells',
      `the NUMA cells hold ${total} KiB but spec.memory.size is ${memKiB} KiB`,
      'libvirt sizes the guest from the cells, so a mismatch silently changes the VM\'s memory',
      'make the cells\' memory add up to spec.memory.size');
  }
  return el('numa', {}, cellEls);
}

function checkedVcpus(cpu: VirtualMachineSpec['cpu']): number {
  const parts: [string, number][] = [['cores', cpu.cores], ['sockets', cpu.sockets ?? 1], ['threads', cpu.threads ?? 1]];
  for (const [field, n] of parts) {
    if (!Number.isInteger(n) || n < 1) {
      throw xmlError('HVS-XML-CPU-INVALID', 'InvalidArgument', `spec.cpu.${field}`, `spec.cpu.${field} is ${n}`,
        'CPU topology counts are whole numbers of at least 1', `set spec.cpu.${field} to 1 or more`);
    }
  }
  const n = vcpuCount(cpu);
  if (n > 4096) {
    throw xmlError('HVS-XML-CPU-INVALID', 'InvalidArgument', 'spec.cpu', `the VM asks for ${n} vCPUs`,
      'libvirt/QEMU support at most 4096 vCPUs per guest on x86_64', 'lower sockets, cores or threads');
  }
  return n;
}
