/**
 * What every API method needs, declared in one table (docs/security.md#roles prints it; a test
 * fails when a method of the .proto files is missing here, and calls each one as anonymous, viewer
 * and node to prove the service layer enforces it). REST routes call the same service methods.
 *  - a Permission: the caller's role must hold it (and a scoped role must cover the object);
 *  - 'kind-write': apply/delete need the write permission of each object's kind (vms.write for
 *    VM-scoped kinds, cluster.write for the rest) and vms.host-access for host-reaching VMs;
 *  - 'self': any verified caller, about itself (who am I, may I);
 *  - 'user-self': a verified user (not a node), about itself: sessions and tickets carry its role;
 *  - 'join-token': no identity; the one-time join token in the request is the credential.
 */
import type { Permission } from '../identity';

export type Requirement = Permission | 'kind-write' | 'self' | 'user-self' | 'join-token';

export const METHOD_PERMISSIONS = {
  'ResourceService/Apply': 'kind-write',
  'ResourceService/Plan': 'resources.read',
  'ResourceService/Get': 'resources.read',
  'ResourceService/List': 'resources.read',
  'ResourceService/Watch': 'resources.read',
  'ResourceService/Delete': 'kind-write',
  'VmService/Start': 'vms.lifecycle',
  'VmService/Stop': 'vms.lifecycle',
  'VmService/Restart': 'vms.lifecycle',
  'VmService/Migrate': 'vms.migrate',
  'VmService/CancelMigration': 'vms.migrate',
  'VmService/ConsoleInfo': 'vms.console',
  'NodeService/RegisterNode': 'node.self',
  'NodeService/Heartbeat': 'node.self',
  'NodeService/RenewCertificate': 'node.self',
  'NodeService/Join': 'join-token',
  'NodeService/Cordon': 'nodes.manage',
  'NodeService/Uncordon': 'nodes.manage',
  'NodeService/Drain': 'nodes.manage',
  'NodeService/DiagnoseNode': 'nodes.manage',
  'NodeService/ListCertificates': 'nodes.manage',
  'NodeService/ClusterStatus': 'resources.read',
  'NodeService/CreateJoinToken': 'join-tokens.manage',
  'NodeService/ListJoinTokens': 'join-tokens.manage',
  'NodeService/RevokeJoinToken': 'join-tokens.manage',
  'AuditService/List': 'audit.read',
  'EventService/List': 'resources.read',
  'EventService/Watch': 'resources.read',
  'IdentityService/CreateUser': 'identity.manage',
  'IdentityService/ListUsers': 'identity.manage',
  'IdentityService/DeleteUser': 'identity.manage',
  'IdentityService/CreateToken': 'identity.manage',
  'IdentityService/ListTokens': 'identity.manage',
  'IdentityService/RevokeToken': 'identity.manage',
  'IdentityService/WhoAmI': 'self',
  'IdentityService/CanI': 'self',
  'IdentityService/CreateSession': 'user-self',
  'IdentityService/CreateTicket': 'user-self',
  'AdminService/RotateEncryptionKey': 'secrets.rotate',
  'ImageService/Upload': 'cluster.write',
  // A node, only for an Image one of its own VMs uses (checked by the service).
  'ImageService/Download': 'node.self',
} as const satisfies Readonly<Record<string, Requirement>>;

export type ApiMethod = keyof typeof METHOD_PERMISSIONS;
