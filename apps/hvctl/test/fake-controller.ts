/**
 * A small in-memory controller behind the generated hvs.v1 service definitions, on a real
 * grpc-js server on loopback: enough of Apply/Plan/Get/List/Watch/Delete, the VM actions,
 * cordon, events and audit to drive hvctl end to end over the wire. `onList` lets a test move
 * VMs through phases as hvctl polls.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HvsError, planObject, validateResource, type PlanResource } from '@hvs/domain';
import { fromProtoObject, toProtoObject, toProtoPlan, toServiceError, v1 } from '@hvs/proto';

type Obj = PlanResource & { apiVersion: string; metadata: PlanResource['metadata'] & { generation?: number; creationTimestamp?: string } };

export interface FakeController {
  address: string;
  objects: Map<string, Obj>;
  events: v1.Event[];
  audit: v1.AuditRecord[];
  onList?: (kind: string) => void;
  /** Called on every Get before it answers (e.g. to let a terminating object go). */
  onGet?: (kind: string, name: string) => void;
  calls: string[];
  /** Every Delete request, as received. */
  deletes: v1.DeleteRequest[];
  /** Every CreateJoinToken request, as received (each answered with a made-up token). */
  joinTokens: v1.CreateJoinTokenRequest[];
  /** IdentityService state: users and tokens by name/id, every CreateUser request, WhoAmI's answer, CanI's verdicts by action. */
  users: Map<string, v1.UserInfo>;
  tokens: Map<string, v1.TokenInfo>;
  userRequests: v1.CreateUserRequest[];
  whoAmI: v1.WhoAmIResponse;
  canI: Map<string, v1.CanIResponse>;
  stop(): Promise<void>;
}

const key = (kind: string, name: string) => `${kind}/${name}`;
const notFound = (kind: string, name: string) => new HvsError({ code: 'HVS-OBJECT-NOT-FOUND', category: 'NotFound', message: `${kind} "${name}" does not exist`, fix: `list them: hvctl get ${kind}` });

/** `tls`: serve over TLS with this key and certificate (PEM) instead of plaintext. */
export async function startFakeController(tls?: { keyPem: Buffer; certPem: Buffer }): Promise<FakeController> {
  const server = new Server();
  const fake: FakeController = {
    address: '', objects: new Map(), events: [], audit: [], calls: [], deletes: [], joinTokens: [], stop: async () => undefined,
    users: new Map(), tokens: new Map(), userRequests: [], canI: new Map(),
    whoAmI: { kind: 'user', name: 'admin', role: 'admin', scope: '', credential: 'certificate', permissions: ['resources.read', 'identity.manage'] },
  };

  const parseDocs = (docs: v1.Document[]) => {
    const out: Obj[] = [];
    for (const d of docs) {
      const r = validateResource(JSON.parse(d.manifestJson));
      if (!r.ok) throw new HvsError({ ...r.problems[0]!, category: 'InvalidArgument', problems: r.problems.map((p) => ({ ...p, path: `${d.source}#${d.index} ${p.path ?? ''}` })) });
      out.push(r.value as Obj);
    }
    if (out.some((o) => o.metadata.name === 'reject-me')) {
      const problems = [
        { code: 'HVS-NET-NOT-FOUND', path: 'a.yaml#0 spec.networks[0].network', message: 'network "nope" does not exist', fix: 'apply the Network first' },
        { code: 'HVS-IMAGE-NOT-FOUND', path: 'a.yaml#0 spec.disks[0].image', message: 'image "x" does not exist', fix: 'apply the Image first' },
      ];
      throw new HvsError({ ...problems[0]!, category: 'FailedPrecondition', problems });
    }
    return out;
  };

  const resources: Partial<v1.ResourceServiceServer> = {
    apply(call, cb) {
      fake.calls.push('apply');
      try {
        const docs = parseDocs(call.request.documents);
        const results = docs.map((d) => {
          const k = key(d.kind, d.metadata.name);
          const cur = fake.objects.get(k);
          const plan = planObject(cur, d);
          const action = plan.action === 'create' ? v1.ApplyAction.CREATED : plan.action === 'update' ? v1.ApplyAction.CONFIGURED : v1.ApplyAction.UNCHANGED;
          const generation = (cur?.metadata.generation ?? 0) + (plan.action === 'unchanged' ? 0 : 1);
          if (!call.request.dryRun && plan.action !== 'unchanged') {
            fake.objects.set(k, { ...d, metadata: { ...d.metadata, generation, creationTimestamp: cur?.metadata.creationTimestamp ?? '2026-01-01T11:55:00Z' },
              status: d.kind === 'VirtualMachine' ? { phase: 'Pending', observedGeneration: generation - 1 } : undefined });
          }
          return { kind: d.kind, name: d.metadata.name, action, generation, changes: [] };
        });
        cb(null, { results, resourceVersion: '10' });
      } catch (e) {
        cb(toServiceError(e));
      }
    },
    plan(call, cb) {
      try {
        const docs = parseDocs(call.request.documents);
        cb(null, { objects: docs.map((d) => toProtoPlan(planObject(fake.objects.get(key(d.kind, d.metadata.name)), d))), resourceVersion: '10' });
      } catch (e) {
        cb(toServiceError(e));
      }
    },
    get(call, cb) {
      fake.onGet?.(call.request.kind, call.request.name);
      if (call.request.reveal) fake.calls.push(`reveal ${call.request.kind}/${call.request.name}`);
      const o = fake.objects.get(key(call.request.kind, call.request.name));
      if (!o) return cb(toServiceError(notFound(call.request.kind, call.request.name)));
      cb(null, toProtoObject(o as never));
    },
    list(call, cb) {
      fake.onList?.(call.request.kind);
      const items = [...fake.objects.values()].filter((o) => o.kind === call.request.kind)
        .filter((o) => !call.request.labelSelector || Object.entries(o.metadata.labels ?? {}).some(([k, v]) => `${k}=${v}` === call.request.labelSelector));
      cb(null, { items: items.map((o) => toProtoObject(o as never)), resourceVersion: '10', continueToken: '' });
    },
    watch(call) {
      for (const o of fake.objects.values()) {
        if (o.kind === call.request.kind) call.write({ type: v1.WatchEventType.MODIFIED, object: toProtoObject(o as never), resourceVersion: '11' });
      }
      call.write({ type: v1.WatchEventType.BOOKMARK, resourceVersion: '12' });
      call.end();
    },
    delete(call, cb) {
      const r = call.request;
      fake.deletes.push(r);
      if (r.names.length === 0 && r.labelSelector === '') {
        const o = fake.objects.get(key(r.kind, r.name));
        if (!o) return cb(toServiceError(notFound(r.kind, r.name)));
        // Like the controller: finalizers keep the object terminating; force drops them with a warning.
        const finalizers = (o.metadata as { finalizers?: string[] }).finalizers ?? [];
        if (finalizers.length > 0) {
          const last = r.force ? o : { ...o, metadata: { ...o.metadata, deletionTimestamp: '2026-01-01T12:00:00Z' } };
          if (r.force) fake.objects.delete(key(r.kind, r.name));
          else fake.objects.set(key(r.kind, r.name), last);
          const one = { object: toProtoObject(last as never), gone: r.force === true, warnings: r.force ? finalizers.map((f) => `forced past finalizer ${f}: node node-a may still hold domain hvs-1 and its volumes`) : [] };
          return cb(null, { object: one.object, gone: one.gone, results: [one] });
        }
        // Answers as a controller from before `results` did: gone only.
        fake.objects.delete(key(r.kind, r.name));
        return cb(null, { gone: true, results: [] });
      }
      // Several: all or nothing, as the real controller (apps/controller/test/api/delete-many.medium.spec.ts).
      const matched = r.labelSelector !== ''
        ? [...fake.objects.values()].filter((o) => o.kind === r.kind && Object.entries(o.metadata.labels ?? {}).some(([k, v]) => `${k}=${v}` === r.labelSelector))
        : r.names.map((n) => fake.objects.get(key(r.kind, n)));
      const missing = r.names.filter((_, i) => matched[i] === undefined);
      if (missing.length > 0 && !r.ignoreNotFound) {
        return cb(toServiceError(new HvsError({ code: 'HVS-STORE-NOT-FOUND', category: 'NotFound', message: `${missing.length} of the ${r.names.length} names do not exist`, why: 'nothing was deleted', fix: 'check the names', problems: missing.map((n) => ({ code: 'HVS-STORE-NOT-FOUND', path: n, message: `${r.kind} "${n}" does not exist`, why: 'nothing was deleted', fix: 'check the name' })) })));
      }
      const found = matched.filter((o): o is Obj => o !== undefined);
      for (const o of found) fake.objects.delete(key(o.kind, o.metadata.name));
      const results = found.map((o) => ({ object: toProtoObject(o as never), gone: true, warnings: [] }));
      cb(null, { object: results[0]?.object, gone: results[0]?.gone ?? false, results });
    },
  };
  const vmAction = (wanted: string) => (call: { request: v1.VmActionRequest }, cb: (e: unknown, r?: v1.VmActionResponse) => void) => {
    const results = call.request.names.map((name) => {
      const o = fake.objects.get(key('VirtualMachine', name));
      if (!o) return { name, ok: false, changed: false, phase: '', error: { code: 'HVS-OBJECT-NOT-FOUND', path: '', message: `VirtualMachine "${name}" does not exist`, why: '', fix: 'hvctl get vms' } };
      const changed = (o.status as { phase?: string })?.phase !== wanted;
      o.status = { phase: wanted };
      return { name, ok: true, changed, phase: wanted };
    });
    cb(null, { results });
  };
  const vms: Partial<v1.VmServiceServer> = { start: vmAction('Running') as never, stop: vmAction('Stopped') as never, restart: vmAction('Running') as never };
  const nodes: Partial<v1.NodeServiceServer> = {
    createJoinToken(call, cb) {
      fake.joinTokens.push(call.request);
      cb(null, { token: `hvs1.${'0'.repeat(15)}${fake.joinTokens.length}.${'A'.repeat(43)}.${'ab'.repeat(32)}`, expiresAt: '2030-01-01T01:00:00.000Z', caFingerprint: 'ab'.repeat(32), controllerAddresses: [] });
    },
    listJoinTokens(_call, cb) {
      cb(null, { tokens: fake.joinTokens.map((r, i) => ({ id: `${'0'.repeat(15)}${i + 1}`, createdAt: '2030-01-01T00:00:00.000Z', expiresAt: '2030-01-01T01:00:00.000Z', nodeName: r.nodeName, expired: false, replace: r.replace, usesLeft: r.uses || 1 })) });
    },
    cordon(call, cb) {
      const o = fake.objects.get(key('Node', call.request.name));
      if (!o) return cb(toServiceError(notFound('Node', call.request.name)));
      o.spec = { ...(o.spec as object), cordoned: true };
      cb(null, toProtoObject(o as never));
    },
  };
  const events: Partial<v1.EventServiceServer> = {
    list(call, cb) {
      cb(null, { events: fake.events.filter((e) => (!call.request.name || e.name === call.request.name)), resourceVersion: '5' });
    },
  };
  const audit: Partial<v1.AuditServiceServer> = { list: (_call, cb) => cb(null, { records: fake.audit, continueToken: '' }) };
  server.addService(v1.IdentityServiceService, fakeIdentity(fake) as v1.IdentityServiceServer);
  server.addService(v1.ResourceServiceService, resources as v1.ResourceServiceServer);
  server.addService(v1.VmServiceService, vms as v1.VmServiceServer);
  server.addService(v1.NodeServiceService, nodes as v1.NodeServiceServer);
  server.addService(v1.EventServiceService, events as v1.EventServiceServer);
  server.addService(v1.AuditServiceService, audit as v1.AuditServiceServer);
  const admin: v1.AdminServiceServer = {
    rotateEncryptionKey(_call, cb) {
      fake.calls.push('rotate-encryption-key');
      cb(null, { keyId: 'k2', reencrypted: 3, retiredKeyIds: ['k1'] });
    },
  };
  server.addService(v1.AdminServiceService, admin);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', tls ? ServerCredentials.createSsl(null, [{ private_key: tls.keyPem, cert_chain: tls.certPem }], false) : ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  fake.address = `127.0.0.1:${port}`;
  fake.stop = () => new Promise((resolve) => server.tryShutdown(() => resolve()));
  return fake;
}

export function shown(o: v1.ApiObject) {
  return fromProtoObject(o);
}

export const FAKE_CERT_PEM = '-----BEGIN CERTIFICATE-----\nZmFrZSB1c2Vy\n-----END CERTIFICATE-----\n';
export const FAKE_CA_PEM = '-----BEGIN CERTIFICATE-----\nZmFrZSBjYQ==\n-----END CERTIFICATE-----\n';
const identityError = (code: string, category: HvsError['category'], message: string, why: string, fix: string) => toServiceError(new HvsError({ code, category, message, why, fix }));

/** IdentityService over the fake's maps: certificates are fixed PEM text (hvctl only stores them); token ids count up. */
function fakeIdentity(fake: FakeController): Partial<v1.IdentityServiceServer> {
  let next = 0;
  return {
    createUser(call, cb) {
      const r = call.request;
      fake.userRequests.push(r);
      if (fake.users.has(r.name) && !r.renew) return cb(identityError('HVS-AUTH-USER-EXISTS', 'AlreadyExists', `the user "${r.name}" already exists`, 'a user name stands for one person or tool', `pick another name, or add --renew`));
      const user = { name: r.name, role: r.role, scope: r.scope, createdAt: '2026-01-01T11:00:00.000Z', certificateFingerprints: ['ab'], certificateExpiresAt: '2027-01-01T11:00:00.000Z' };
      fake.users.set(r.name, user);
      cb(null, { user, certificatePem: FAKE_CERT_PEM, caCertificatePem: FAKE_CA_PEM });
    },
    listUsers: (_call, cb) => cb(null, { users: [...fake.users.values()] }),
    deleteUser: (call, cb) => cb(null, { deleted: fake.users.delete(call.request.name) }),
    createToken(call, cb) {
      const r = call.request;
      const id = (++next).toString(16).padStart(16, '0');
      const token = { id, name: r.name, role: r.role, scope: r.scope, createdAt: '2026-01-01T11:00:00.000Z', expiresAt: new Date(Date.parse('2026-01-01T11:00:00.000Z') + Number(r.ttlSeconds) * 1000).toISOString(), createdBy: 'user:admin', type: 'api' };
      fake.tokens.set(id, token);
      cb(null, { token, secret: `hvs_${id}_s3cr3t${id}` });
    },
    listTokens: (_call, cb) => cb(null, { tokens: [...fake.tokens.values()] }),
    revokeToken: (call, cb) => cb(null, { revoked: fake.tokens.delete(call.request.id) }),
    whoAmI: (_call, cb) => cb(null, fake.whoAmI),
    canI(call, cb) {
      const a = fake.canI.get(call.request.action);
      if (!a) return cb(identityError('HVS-AUTH-ACTION-UNKNOWN', 'InvalidArgument', `"${call.request.action}" is neither a permission nor an API method`, 'can-i answers about permissions or API methods', 'use one of: resources.read, vms.lifecycle'));
      cb(null, a);
    },
  };
}
