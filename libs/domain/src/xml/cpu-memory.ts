/**
 * `<memory>`, `<memoryBacking>`, `<vcpu>`, `<cputune>` and `<cpu>` from spec.cpu / spec.memory.
 * Throws HvsError (HVS-XML-...) for shapes libvirt or QEMU would refuse later at start time
 * (hugepage misalignment, NUMA cells not adding up), so the error reaches the user at apply.
 */
import { type VirtualMachineSpec, vcpuCount } from '../kinds/vm';
import { el, type XmlElement } from './builder';
import { type HostFacts, xmlError } from './host-facts';
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

  return { memory, vcpu, cpu: renderCpu(spec, host, memKiB) };
}

function renderCpu(spec: VirtualMachineSpec, host: HostFacts, memKiB: number): XmlElement {
  const cpu = spec.cpu;
  const topology = el('topology', { sockets: cpu.sockets ?? 1, cores: cpu.cores, threads: cpu.threads ?? 1 });
  const numa = renderNuma(spec, memKiB);
  const model = cpu.model ?? 'host-passthrough';
  if (model === 'host-passthrough') {
    // TCG cannot pass the host CPU through; 'maximum' is libvirt's TCG equivalent (all features QEMU can emulate).
    const mode = host.domainType === 'qemu' ? 'maximum' : 'host-passthrough';
    return el('cpu', { mode, check: 'none', migratable: 'on' }, topology, numa);
  }
  if (model === 'host-model') return el('cpu', { mode: 'host-model', check: 'partial' }, topology, numa);
  return el('cpu', { mode: 'custom', match: 'exact', check: 'partial' }, el('model', { fallback: 'forbid' }, model), topology, numa);
}

function renderNuma(spec: VirtualMachineSpec, memKiB: number): XmlElement | undefined {
  const cells = spec.cpu.numa?.cells ?? [];
  if (cells.length === 0) return undefined;
  let total = 0;
  const cellEls = cells.map((c, i) => {
    const kib = sizeToKiB(c.memory, `spec.cpu.numa.cells[${i}].memory`);
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
