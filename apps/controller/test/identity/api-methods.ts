/** The public API's methods as data (from the generated service definitions), with requests that reach each one's permission check. */
import { status } from '@grpc/grpc-js';
import { v1 } from '@hvs/proto';
import { ROLE_PERMISSIONS, type Role } from '../../src/identity';
import { METHOD_PERMISSIONS } from '../../src/services/method-permissions';
import { vmYaml } from '../services/manifests';
import { documents } from '../api/controller-under-test';

export interface MethodDef {
  path: string;
  responseStream: boolean;
  requestStream: boolean;
  requestSerialize(v: unknown): Buffer;
  requestDeserialize(b: Buffer): unknown;
}

export const SERVICES: Record<string, Record<string, MethodDef>> = {
  ResourceService: v1.ResourceServiceService as never, VmService: v1.VmServiceService as never, NodeService: v1.NodeServiceService as never,
  AuditService: v1.AuditServiceService as never, EventService: v1.EventServiceService as never, IdentityService: v1.IdentityServiceService as never,
  AdminService: v1.AdminServiceService as never, ImageService: v1.ImageServiceService as never,
};
export const METHODS = Object.values(SERVICES).flatMap((s) => Object.values(s)).map((d) => ({ name: d.path.replace(/^\/hvs\.v1\./, ''), def: d }));

/** Request fields that make a call reach its permission check (the rest stay at their defaults). */
export function sample(method: string, node: string): Record<string, unknown> {
  switch (method) {
    case 'ResourceService/Apply':
    case 'ResourceService/Plan': return { documents: documents(vmYaml('perm-vm')) };
    case 'ResourceService/Get':
    case 'ResourceService/Delete': return { kind: 'vm', name: 'perm-vm' };
    case 'ResourceService/List':
    case 'ResourceService/Watch': return { kind: 'vm' };
    case 'VmService/Start': case 'VmService/Stop': case 'VmService/Restart': return { names: ['perm-vm'] };
    case 'VmService/Migrate': return { vm: 'perm-vm', dryRun: true };
    case 'VmService/CancelMigration': return { vm: 'perm-vm' };
    case 'NodeService/RegisterNode': return { name: node, address: '127.0.0.1:1' };
    case 'NodeService/Heartbeat': return { node };
    case 'NodeService/Cordon': case 'NodeService/Uncordon': case 'NodeService/Drain': case 'NodeService/DiagnoseNode': return { name: node };
    case 'IdentityService/CanI': return { action: 'resources.read' };
    case 'IdentityService/CreateTicket': return { purpose: 'console/vm/perm-vm' };
    // Client stream: this is its first message (the header); the callers then end the stream.
    case 'ImageService/Upload': return { part: { $case: 'header', value: { name: 'perm-img', format: 'raw', sizeBytes: 0, sha256: '', labels: {} } } };
    case 'ImageService/Download': return { name: 'perm-img' };
    default: return {};
  }
}

/** Node-scoped methods whose request names no node: they are always about the caller itself. */
const ABOUT_CALLER = new Set(['NodeService/RenewCertificate', 'ImageService/Download']);

export function expectedFor(role: Role | 'node', method: string, aboutSelf: boolean): 'denied' | 'allowed' {
  const req = (METHOD_PERMISSIONS as Record<string, string>)[method]!;
  if (req === 'join-token' || req === 'self') return 'allowed';
  if (req === 'user-self') return role === 'node' ? 'denied' : 'allowed';
  if (role === 'node') return req === 'node.self' && (aboutSelf || ABOUT_CALLER.has(method)) ? 'allowed' : 'denied';
  const perm = req === 'kind-write' ? 'vms.write' : req;
  return ROLE_PERMISSIONS[role].has(perm as never) ? 'allowed' : 'denied';
}

export const refused = (code: number): boolean => code === status.PERMISSION_DENIED || code === status.UNAUTHENTICATED;
