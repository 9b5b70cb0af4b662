/**
 * Cross-field rules for VirtualMachine that a per-field schema cannot express. They read the
 * raw document defensively, so they still run (and report) when the schema also failed.
 */
import type { Problem } from '../errors';
import { MAX_VCPUS } from '../kinds/vm';
import { tryParseSize } from '../units';
import { arr, get, int, obj, str, type Obj } from './access';
import { parseCpuset } from '../formats/formats';
import { problem, quote } from './problem';

function duplicates(items: unknown[], key: string, code: string, base: (string | number)[], out: Problem[]): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const v = str(get(obj(item), key));
    if (v === undefined) return;
    const first = seen.get(v);
    if (first === undefined) seen.set(v, i);
    else out.push(problem(code, [...base, i, key], v, { detail: `(also at ${base[base.length - 1]}[${first}])` }));
  });
}

export function vmRules(doc: Obj): Problem[] {
  const out: Problem[] = [];
  const spec = obj(get(doc, 'spec'));
  if (!spec) return out;
  const name = str(get(obj(get(doc, 'metadata')), 'name'));
  const cpu = obj(get(spec, 'cpu'));
  const cores = int(get(cpu, 'cores'));
  const sockets = int(get(cpu, 'sockets')) ?? 1;
  const threads = int(get(cpu, 'threads')) ?? 1;
  const each = [cores, sockets, threads];
  // The product is checked only when every factor is valid on its own (else the schema said so).
  const vcpus = each.every((n) => n !== undefined && n >= 1 && n <= MAX_VCPUS) ? cores! * sockets * threads : undefined;
  if (vcpus !== undefined && vcpus > MAX_VCPUS) {
    out.push(problem('HVS-CPU-INVALID', ['spec', 'cpu'], undefined, { subject: `${sockets}x${cores}x${threads}`, what: `gives ${vcpus} vCPUs, more than ${MAX_VCPUS}` }));
  }

  // Pinning: each vcpu exists and is pinned once.
  const pinned = new Set<number>();
  arr(get(cpu, 'pinning')).forEach((p, i) => {
    const vcpu = int(get(obj(p), 'vcpu'));
    if (vcpu === undefined) return;
    if (vcpus !== undefined && vcpu >= vcpus) {
      out.push(problem('HVS-VM-PINNING-INVALID', ['spec', 'cpu', 'pinning', i, 'vcpu'], vcpu, { what: `is not a vCPU of this VM (it has ${vcpus}: 0-${vcpus - 1})` }));
    } else if (pinned.has(vcpu)) {
      out.push(problem('HVS-VM-PINNING-INVALID', ['spec', 'cpu', 'pinning', i, 'vcpu'], vcpu, { what: 'is pinned twice' }));
    }
    pinned.add(vcpu);
  });

  // NUMA: unique ids, cpus exist and are in one cell, memory adds up.
  const memory = obj(get(spec, 'memory'));
  const memBytes = tryParseSize(get(memory, 'size'));
  const numa = obj(get(cpu, 'numa'));
  const cells = arr(get(numa, 'cells'));
  if (cells.length > 0) {
    const ids = new Set<number>();
    const cellCpus = new Set<number>();
    let sum = 0;
    let sumKnown = true;
    cells.forEach((c, i) => {
      const cell = obj(c);
      const id = int(get(cell, 'id'));
      if (id !== undefined && ids.has(id)) out.push(problem('HVS-VM-NUMA-INVALID', ['spec', 'cpu', 'numa', 'cells', i, 'id'], id, { what: 'is used by two cells' }));
      if (id !== undefined) ids.add(id);
      const cpus = parseCpuset(get(cell, 'cpus'));
      for (const cpuId of cpus ?? []) {
        if (vcpus !== undefined && cpuId >= vcpus) {
          out.push(problem('HVS-VM-NUMA-INVALID', ['spec', 'cpu', 'numa', 'cells', i, 'cpus'], get(cell, 'cpus'), { what: `names vCPU ${cpuId}, but the VM has ${vcpus}` }));
          break;
        }
        if (cellCpus.has(cpuId)) {
          out.push(problem('HVS-VM-NUMA-INVALID', ['spec', 'cpu', 'numa', 'cells', i, 'cpus'], get(cell, 'cpus'), { what: `puts vCPU ${cpuId} in a second cell` }));
          break;
        }
        cellCpus.add(cpuId);
      }
      const m = tryParseSize(get(cell, 'memory'));
      if (m === undefined) sumKnown = false;
      else sum += m;
    });
    if (sumKnown && memBytes !== undefined && sum !== memBytes) {
      out.push(
        problem('HVS-VM-NUMA-INVALID', ['spec', 'cpu', 'numa', 'cells'], undefined, {
          subject: 'NUMA cell memory',
          what: `adds up to ${sum} bytes, but memory.size ${JSON.stringify(get(memory, 'size'))} is ${memBytes} bytes`,
          fix: 'make the cells\' memory sum to memory.size',
        }),
      );
    }
  }

  // Huge pages: memory is a whole number of pages.
  const pageSize = tryParseSize(get(obj(get(memory, 'hugepages')), 'pageSize'));
  if (pageSize !== undefined && memBytes !== undefined && memBytes % pageSize !== 0) {
    out.push(problem('HVS-VM-HUGEPAGES-MISALIGNED', ['spec', 'memory', 'size'], get(memory, 'size')));
  }

  // Firmware.
  const fw = obj(get(spec, 'firmware'));
  if (get(fw, 'secureBoot') === true && get(fw, 'type') !== 'uefi') {
    out.push(problem('HVS-VM-SECUREBOOT-REQUIRES-UEFI', ['spec', 'firmware', 'secureBoot'], true, { subject: 'firmware' }));
  }

  // Disks: unique names, a source each, unique boot orders.
  const disks = arr(get(spec, 'disks'));
  duplicates(disks, 'name', 'HVS-VM-DISK-DUPLICATE', ['spec', 'disks'], out);
  const boots = new Map<number, number>();
  disks.forEach((d, i) => {
    const disk = obj(d);
    if (!disk) return;
    if (get(disk, 'size') === undefined && get(disk, 'image') === undefined && get(disk, 'path') === undefined) {
      out.push(problem('HVS-VM-DISK-SOURCE-MISSING', ['spec', 'disks', i], undefined, { subject: `disk ${quote(get(disk, 'name') ?? i)}` }));
    }
    const boot = int(get(disk, 'boot'));
    if (boot !== undefined) {
      if (boots.has(boot)) out.push(problem('HVS-VM-BOOT-ORDER-INVALID', ['spec', 'disks', i, 'boot'], boot, { what: `is also used by disks[${boots.get(boot)}]` }));
      else boots.set(boot, i);
    }
  });
  const cdrom = obj(get(spec, 'cdrom'));
  if (cdrom && get(cdrom, 'image') === undefined && get(cdrom, 'path') === undefined) {
    out.push(problem('HVS-VM-CDROM-SOURCE-MISSING', ['spec', 'cdrom'], undefined, { subject: 'cdrom' }));
  }

  // NICs: unique names and MACs.
  const nics = arr(get(spec, 'networks'));
  duplicates(nics, 'name', 'HVS-VM-NIC-DUPLICATE', ['spec', 'networks'], out);
  const macs = nics.map((n) => {
    const mac = str(get(obj(n), 'mac'));
    return obj(n) && mac !== undefined ? { mac: mac.toLowerCase() } : {};
  });
  duplicates(macs, 'mac', 'HVS-VM-MAC-DUPLICATE', ['spec', 'networks'], out);
  nics.forEach((n, i) => {
    const ip = str(get(obj(n), 'ip'));
    // IPAM reserves IPv4 addresses (the Network's subnet); the subnet check needs the Network (apply).
    if (ip !== undefined && ip.includes(':')) out.push(problem('HVS-VM-NIC-IP-INVALID', ['spec', 'networks', i, 'ip'], ip));
  });

  // cloud-init: raw userData or the structured fields, never both.
  const ci = obj(get(spec, 'cloudInit'));
  if (ci && get(ci, 'userData') !== undefined) {
    for (const f of ['users', 'sshAuthorizedKeys', 'packages', 'runcmd']) {
      if (get(ci, f) !== undefined) out.push(problem('HVS-VM-CLOUDINIT-CONFLICT', ['spec', 'cloudInit', f], undefined, { subject: `cloudInit.${f}` }));
    }
  }

  // Host devices.
  const hostdevs = arr(get(obj(get(spec, 'devices')), 'hostdevs'));
  duplicates(hostdevs, 'name', 'HVS-VM-HOSTDEV-DUPLICATE', ['spec', 'devices', 'hostdevs'], out);
  duplicates(hostdevs, 'pciAddress', 'HVS-VM-HOSTDEV-DUPLICATE', ['spec', 'devices', 'hostdevs'], out);
  hostdevs.forEach((h, i) => {
    const dev = obj(h);
    if (dev && get(dev, 'pciAddress') === undefined && get(dev, 'vendorDevice') === undefined) {
      out.push(problem('HVS-VM-HOSTDEV-UNSPECIFIED', ['spec', 'devices', 'hostdevs', i], undefined, { subject: `host device ${quote(get(dev, 'name') ?? i)}` }));
    }
  });

  // dependsOn.
  arr(get(spec, 'dependsOn')).forEach((d, i) => {
    if (name !== undefined && d === name) out.push(problem('HVS-VM-DEPENDS-ON-SELF', ['spec', 'dependsOn', i], d));
  });
  return out;
}
