/**
 * What `get` shows per kind: the columns of the table (and of `-o wide`), and the
 * machine-readable forms (-o json|yaml|name). Works on objects as the API sends them
 * (spec/status not re-validated: a newer server's extra fields must not break printing).
 */
import { KINDS, isKindName, vcpuCount, type Condition } from '@hvs/domain';
import { stringify } from 'yaml';
import { colourStatus, type Palette } from './colour';
import { formatAge, formatBytes, renderTable } from './table';

export interface ShownResource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; creationTimestamp?: string; deletionTimestamp?: string; [k: string]: unknown };
  spec?: unknown;
  status?: unknown;
}

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['wide', 'json', 'yaml', 'name'];

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});
const str = (v: unknown, dflt = '<none>'): string => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : dflt);

interface Columns {
  headers: string[];
  wide: string[];
  row(r: ShownResource, p: Palette, now: number): string[];
  wideRow(r: ShownResource): string[];
}

function condition(r: ShownResource, type: string): Condition | undefined {
  const list = rec(r.status).conditions;
  return Array.isArray(list) ? (list as Condition[]).find((c) => c?.type === type) : undefined;
}

function phaseOf(r: ShownResource): string {
  if (r.metadata.deletionTimestamp) return 'Terminating';
  return str(rec(r.status).phase, 'Pending');
}

const VM: Columns = {
  headers: ['NAME', 'PHASE', 'NODE', 'CPU', 'MEMORY', 'AGE'],
  wide: ['RUNSTATE', 'IPS', 'CONSOLE'],
  row(r, p, now) {
    const spec = rec(r.spec);
    const cpu = rec(spec.cpu);
    const cpus = typeof cpu.cores === 'number' ? String(vcpuCount(cpu as { cores: number })) : '<none>';
    return [r.metadata.name, colourStatus(p, phaseOf(r)), str(rec(r.status).node), cpus, str(rec(spec.memory).size), formatAge(r.metadata.creationTimestamp, now)];
  },
  wideRow(r) {
    const status = rec(r.status);
    const c = rec(status.console);
    const console = typeof c.port === 'number' ? `${str(c.type)}://${str(c.host)}:${c.port}` : '<none>';
    return [str(rec(r.spec).runState, 'Running'), vmAddresses(status), console];
  },
};

/** One NIC of VirtualMachine status.interfaces, as printed (fields as the API sends them). */
interface ShownInterface {
  name: string;
  address: string | undefined;
}

function interfacesOf(status: Rec): Rec[] {
  return Array.isArray(status.interfaces) ? (status.interfaces as unknown[]).map(rec) : [];
}

/**
 * The IPS column: one NIC prints its address (`10.88.0.100`), several print `eth0=...,eth1=...`;
 * per NIC its IPv4, else its first IPv6. Without interfaces (an older controller), status.ips.
 */
export function vmAddresses(status: Rec): string {
  const nics: ShownInterface[] = interfacesOf(status).map((i) => ({
    name: str(i.name, '?'),
    address: typeof i.ipv4 === 'string' && i.ipv4 !== '' ? i.ipv4 : Array.isArray(i.ipv6) && typeof i.ipv6[0] === 'string' ? i.ipv6[0] : undefined,
  }));
  const addressed = nics.filter((n) => n.address !== undefined);
  if (nics.length === 1 && addressed.length === 1) return addressed[0].address as string;
  if (addressed.length > 0) return addressed.map((n) => `${n.name}=${n.address as string}`).join(',');
  return Array.isArray(status.ips) && status.ips.length > 0 ? (status.ips as string[]).join(',') : '<none>';
}

/** `hvctl describe vm`'s Interfaces table; undefined when the status has none. */
export function renderInterfaces(status: Rec): string | undefined {
  const nics = interfacesOf(status);
  if (nics.length === 0) return undefined;
  return renderTable(['NAME', 'MAC', 'NETWORK', 'IPV4', 'IPV6', 'SOURCE', 'DNS'], nics.map((i) => [
    str(i.name), str(i.mac), str(i.network), str(i.ipv4),
    Array.isArray(i.ipv6) && i.ipv6.length > 0 ? i.ipv6.join(',') : '<none>', str(i.source), str(i.dnsName),
  ]));
}

const NODE: Columns = {
  headers: ['NAME', 'STATUS', 'CPU', 'MEMORY', 'AGE'],
  wide: ['ADDRESS', 'HYPERVISOR', 'AGENT'],
  row(r, p, now) {
    const ready = condition(r, 'Ready');
    let status = ready?.status === 'True' ? 'Ready' : ready?.status === 'False' ? 'NotReady' : 'Unknown';
    const spec = rec(r.spec);
    const extra = [spec.cordoned === true ? 'SchedulingDisabled' : undefined, spec.maintenance === true ? 'Maintenance' : undefined].filter(Boolean);
    status = colourStatus(p, status) + (extra.length > 0 ? `,${extra.join(',')}` : '');
    const cap = rec(rec(r.status).capacity);
    return [r.metadata.name, status, str(cap.cpus), typeof cap.memoryBytes === 'number' ? formatBytes(cap.memoryBytes) : '<none>', formatAge(r.metadata.creationTimestamp, now)];
  },
  wideRow(r) {
    const hv = rec(rec(r.status).hypervisor);
    return [str(rec(r.spec).address), str(hv.mode), str(rec(r.status).agentVersion)];
  },
};

const NETWORK: Columns = {
  headers: ['NAME', 'MODE', 'SUBNET', 'AGE'],
  wide: ['BRIDGE', 'VLAN', 'DHCP'],
  row(r, _p, now) {
    const spec = rec(r.spec);
    return [r.metadata.name, str(spec.mode), str(spec.subnet), formatAge(r.metadata.creationTimestamp, now)];
  },
  wideRow(r) {
    const spec = rec(r.spec);
    const dhcp = rec(spec.dhcp);
    return [str(spec.bridge), str(spec.vlan), dhcp.start ? `${str(dhcp.start)}-${str(dhcp.end)}` : '<none>'];
  },
};

/** Keys only: values are never in a table (and arrive redacted unless --reveal). */
const SECRET: Columns = {
  headers: ['NAME', 'KEYS', 'AGE'],
  wide: ['KEY NAMES'],
  row(r, _p, now) {
    return [r.metadata.name, String(Object.keys(rec(rec(r.spec).data)).length), formatAge(r.metadata.creationTimestamp, now)];
  },
  wideRow(r) {
    return [Object.keys(rec(rec(r.spec).data)).join(',') || '<none>'];
  },
};

const GENERIC: Columns = {
  headers: ['NAME', 'STATUS', 'AGE'],
  wide: ['LABELS'],
  row(r, p, now) {
    const status = rec(r.status);
    const ready = condition(r, 'Ready');
    const s = r.metadata.deletionTimestamp ? 'Terminating' : str(status.phase, ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : '<none>');
    return [r.metadata.name, colourStatus(p, s), formatAge(r.metadata.creationTimestamp, now)];
  },
  wideRow(r) {
    const labels = Object.entries(r.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`);
    return [labels.length > 0 ? labels.join(',') : '<none>'];
  },
};

function columnsFor(kind: string): Columns {
  if (kind === 'VirtualMachine') return VM;
  if (kind === 'Node') return NODE;
  if (kind === 'Network') return NETWORK;
  if (kind === 'Secret') return SECRET;
  return GENERIC;
}

/** `virtualmachine/web-1`, kubectl's `-o name`. */
export function resourceName(kind: string, name: string): string {
  return `${kind.toLowerCase()}/${name}`;
}

export function renderResourceTable(kind: string, items: readonly ShownResource[], opts: { wide: boolean; palette: Palette; now: number; noHeaders?: boolean }): string {
  const cols = columnsFor(kind);
  const headers = opts.wide ? [...cols.headers, ...cols.wide] : cols.headers;
  const rows = items.map((r) => (opts.wide ? [...cols.row(r, opts.palette, opts.now), ...cols.wideRow(r)] : cols.row(r, opts.palette, opts.now)));
  const text = renderTable(headers, rows);
  return opts.noHeaders ? text.slice(text.indexOf('\n') + 1) : text;
}

/**
 * -o json|yaml|name of one object (when a NAME was given) or a List. JSON is indented by
 * two spaces and ends with a newline; YAML is block style.
 */
export function renderResources(format: 'json' | 'yaml' | 'name', items: readonly ShownResource[], single: boolean): string {
  if (format === 'name') return items.map((r) => `${resourceName(r.kind, r.metadata.name)}\n`).join('');
  const value = single && items.length === 1 ? items[0] : { apiVersion: 'hvs/v1', kind: 'List', items };
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value);
}

/** The table's KIND word for messages: `virtualmachines`. */
export function pluralOf(kind: string): string {
  return isKindName(kind) ? KINDS[kind].plural : `${kind.toLowerCase()}s`;
}
