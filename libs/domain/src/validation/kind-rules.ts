/** Cross-field rules for the kinds other than VirtualMachine (see vm-rules.ts). */
import type { Problem } from '../errors';
import type { KindName } from '../kinds/meta';
import { arr, get, int, obj, str, type Obj } from './access';
import { cidrContains, isCidr, isIp, parseIp } from '../formats/formats';
import { problem } from './problem';
import { vmRules } from './vm-rules';

function networkRules(spec: Obj): Problem[] {
  const out: Problem[] = [];
  const mode = get(spec, 'mode');
  if (mode === 'bridge' && get(spec, 'bridge') === undefined) {
    out.push(problem('HVS-NET-BRIDGE-REQUIRED', ['spec', 'bridge'], undefined, { subject: 'mode bridge' }));
  }
  if (mode !== 'bridge' && get(spec, 'bridge') !== undefined) {
    out.push(problem('HVS-NET-MODE-FIELD', ['spec', 'bridge'], undefined, { subject: `bridge (mode ${String(mode)})` }));
  }
  // nat/isolated/vxlan without a subnet: the controller picks a free one at apply (IPAM defaulting).
  if (mode === 'bridge') {
    for (const f of ['subnet', 'gateway', 'dhcp', 'dns']) {
      if (get(spec, f) !== undefined) out.push(problem('HVS-NET-MODE-FIELD', ['spec', f], undefined, { subject: `${f} (mode bridge)` }));
    }
  }
  if (mode !== 'nat' && arr(get(spec, 'portForwards')).length > 0) {
    out.push(problem('HVS-NET-MODE-FIELD', ['spec', 'portForwards'], undefined, { subject: `portForwards (mode ${String(mode)})` }));
  }
  if ((mode === 'vxlan') !== (get(spec, 'vxlan') !== undefined)) {
    out.push(problem('HVS-NET-VXLAN-INVALID', ['spec', 'vxlan'], undefined, { subject: `vxlan (mode ${String(mode)})` }));
  }
  const subnet = str(get(spec, 'subnet'));
  const subnetOk = subnet !== undefined && isCidr(subnet);
  const gateway = str(get(spec, 'gateway'));
  if (subnetOk && gateway !== undefined && isIp(gateway) && !cidrContains(subnet, gateway)) {
    out.push(problem('HVS-NET-GATEWAY-OUTSIDE-SUBNET', ['spec', 'gateway'], gateway, { what: `is outside the subnet ${subnet}` }));
  }
  const dhcp = obj(get(spec, 'dhcp'));
  if (dhcp) {
    const start = str(get(dhcp, 'start'));
    const end = str(get(dhcp, 'end'));
    if (subnet === undefined) {
      out.push(problem('HVS-NET-DHCP-INVALID', ['spec', 'dhcp'], undefined, { subject: 'dhcp', what: 'needs spec.subnet' }));
    } else if (subnetOk && start !== undefined && end !== undefined && isIp(start) && isIp(end)) {
      if (!cidrContains(subnet, start) || !cidrContains(subnet, end)) {
        out.push(problem('HVS-NET-DHCP-INVALID', ['spec', 'dhcp'], undefined, { subject: `${start} - ${end}`, what: `is not inside ${subnet}` }));
      } else if (compareIp(start, end) > 0) {
        out.push(problem('HVS-NET-DHCP-INVALID', ['spec', 'dhcp'], undefined, { subject: `${start} - ${end}`, what: 'runs backwards (start > end)' }));
      }
    }
  }
  return out;
}

function compareIp(a: string, b: string): number {
  const x = parseIp(a)!.bits;
  const y = parseIp(b)!.bits;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

function firewallRules(spec: Obj): Problem[] {
  const out: Problem[] = [];
  arr(get(spec, 'rules')).forEach((r, i) => {
    const rule = obj(r);
    const proto = get(rule, 'protocol');
    if (arr(get(rule, 'ports')).length > 0 && proto !== 'tcp' && proto !== 'udp') {
      out.push(problem('HVS-FWP-PORTS-NEED-PROTOCOL', ['spec', 'rules', i], undefined, { subject: `rule ${i}` }));
    }
  });
  return out;
}

function imageRules(spec: Obj): Problem[] {
  const out: Problem[] = [];
  const source = obj(get(spec, 'source'));
  if (source && get(source, 'url') === undefined && get(source, 'upload') !== true) {
    out.push(problem('HVS-IMAGE-SOURCE-MISSING', ['spec', 'source'], undefined, { subject: 'image' }));
  }
  const digests = ['sha256', 'sha512'].filter((k) => get(spec, k) !== undefined).length;
  const tofu = get(spec, 'allowUnverified') === true;
  if (digests > 1 || (digests === 1 && tofu)) out.push(problem('HVS-IMAGE-DIGEST-CONFLICT', ['spec'], undefined, { subject: 'image' }));
  // An upload's sha256 is computed by the controller while it streams in: it needs none up front.
  else if (digests === 0 && !tofu && get(source, 'upload') !== true) out.push(problem('HVS-IMAGE-DIGEST-MISSING', ['spec', 'sha256'], undefined, { subject: 'image' }));
  return out;
}

function poolRules(spec: Obj): Problem[] {
  const out: Problem[] = [];
  const type = get(spec, 'type');
  if ((type === 'dir' || type === 'nfs') && get(spec, 'path') === undefined) {
    out.push(problem('HVS-POOL-PATH-REQUIRED', ['spec', 'path'], undefined, { subject: `a ${type} pool` }));
  }
  if ((type === 'lvm-thin' || type === 'zfs' || type === 'nfs') && get(spec, 'source') === undefined) {
    out.push(problem('HVS-POOL-SOURCE-REQUIRED', ['spec', 'source'], undefined, { subject: `a ${type} pool` }));
  }
  return out;
}

function backupPolicyRules(spec: Obj): Problem[] {
  const out: Problem[] = [];
  const retention = obj(get(spec, 'retention'));
  if (retention) {
    const keeps = ['keepLast', 'keepDaily', 'keepWeekly'].map((k) => int(get(retention, k)));
    if (keeps.every((k) => k === undefined || k === 0)) {
      out.push(problem('HVS-BACKUP-RETENTION-INVALID', ['spec', 'retention'], undefined, { subject: 'retention', what: 'keeps nothing' }));
    }
  }
  const target = obj(get(spec, 'target'));
  const type = get(target, 'type');
  if ((type === 'local' || type === 'nfs') && get(target, 'path') === undefined) {
    out.push(problem('HVS-BACKUP-TARGET-INCOMPLETE', ['spec', 'target', 'path'], undefined, { subject: `a ${type} target`, what: 'needs path' }));
  }
  if (type === 's3' && get(target, 'bucket') === undefined) {
    out.push(problem('HVS-BACKUP-TARGET-INCOMPLETE', ['spec', 'target', 'bucket'], undefined, { subject: 'an s3 target', what: 'needs bucket' }));
  }
  return out;
}

/** Runs the cross-field rules of a kind over a raw (possibly invalid) document. */
export function kindRules(kind: KindName, doc: Obj): Problem[] {
  const spec = obj(get(doc, 'spec'));
  if (!spec) return [];
  switch (kind) {
    case 'VirtualMachine':
      return vmRules(doc);
    case 'Network':
      return networkRules(spec);
    case 'FirewallPolicy':
      return firewallRules(spec);
    case 'Image':
      return imageRules(spec);
    case 'StoragePool':
      return poolRules(spec);
    case 'BackupPolicy':
      return backupPolicyRules(spec);
    default:
      return [];
  }
}
