/**
 * Joining hosts (docs/security.md, docs/joining.md): one-time tokens for operators, Join for a
 * new agent (token + CSR -> a certificate for its node name only), RenewCertificate for a
 * joined agent (its current certificate decides the name), and the certificate list
 * `hvctl diagnose` reads.
 *
 * Guarantees:
 *  - a token's secret is returned once by createToken and never stored, logged or audited
 *    (the audit record names the token id only);
 *  - Join signs the CSR before it consumes the token, so a refused request (bad CSR, wrong
 *    name in it) does not burn the token; the certificate is returned only if the token was
 *    consumed, and a token is consumed at most once (compare-and-delete in etcd);
 *  - a node's certificate only ever names that node: Join certifies the name the token allows,
 *    renew the name of the certificate the caller presented.
 */
import { HvsError } from '@hvs/domain';
import type { AuditService } from '../audit';
import type { CertificateRecord, ClusterPki, CreatedJoinToken, JoinTokenSummary } from '../pki';
import { fingerprintOf, parseCertificate } from '../pki';
import type { ObjectStore, StoredObject } from '../store';
import { admit, principalOf } from './access';
import type { CallContext } from './call-context';
import { auditedBatch, auditFailure, readOptional, retryOnConflict } from './writes';

const TOKEN_KIND = 'JoinToken';
const NODE = 'Node';

export interface JoinRequestInput {
  token: string;
  nodeName: string;
  csrPem: string;
  /** host:port the controller dials this agent at. */
  address: string;
}

export interface IssuedForNode {
  node: string;
  certificatePem: string;
  caCertificatePem: string;
  expiresAt: Date;
  controllerAddresses: string[];
}

export interface CertificateSummary {
  kind: 'ca' | 'controller' | 'node';
  name: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  fingerprint: string;
}

const ADDRESS = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/;

export class JoinService {
  constructor(
    private readonly store: ObjectStore,
    private readonly audit: AuditService,
    private readonly pki: ClusterPki,
    private readonly controllerAddresses: () => string[] = () => [],
  ) {}

  /** The token is in the result once; only its id reaches the audit log. */
  async createToken(request: { ttlMs?: number; nodeName?: string }, ctx: CallContext): Promise<CreatedJoinToken & { caFingerprint: string }> {
    admit(ctx, 'NodeService/CreateJoinToken');
    try {
      const created = await this.pki.tokens.create(request);
      await this.audit.append([{ operation: 'create-join-token', kind: TOKEN_KIND, name: created.id, actor: ctx.actor, generationBefore: 0, generationAfter: 1, result: 'ok' }]);
      return { ...created, caFingerprint: this.pki.ca.fingerprint };
    } catch (e) {
      await auditFailure(this.audit, e, { operation: 'create-join-token', kind: TOKEN_KIND, name: request.nodeName ?? '', actor: ctx.actor });
      throw e;
    }
  }

  listTokens(ctx: CallContext): Promise<JoinTokenSummary[]> {
    admit(ctx, 'NodeService/ListJoinTokens');
    return this.pki.tokens.list();
  }

  async revokeToken(id: string, ctx: CallContext): Promise<boolean> {
    admit(ctx, 'NodeService/RevokeJoinToken');
    const revoked = await this.pki.tokens.revoke(id);
    if (revoked) await this.audit.append([{ operation: 'revoke-join-token', kind: TOKEN_KIND, name: id, actor: ctx.actor, generationBefore: 1, generationAfter: 0, result: 'ok' }]);
    return revoked;
  }

  async join(r: JoinRequestInput): Promise<IssuedForNode> {
    if (!ADDRESS.test(r.address)) throw addressInvalid(r.address);
    // Sign first (when the name is known): a bad CSR must not use the token up.
    const early = r.nodeName ? await this.pki.ca.signNodeCsr(r.csrPem, r.nodeName) : undefined;
    const consumed = await this.pki.tokens.consume(r.token, r.nodeName, { nodeExists: async (n) => (await readOptional(this.store, NODE, n)) !== undefined });
    const issued = early ?? (await this.pki.ca.signNodeCsr(r.csrPem, consumed.nodeName));
    await this.pki.certificates.put(consumed.nodeName, issued.certificatePem);
    await this.recordNode(consumed.nodeName, r.address, consumed.id);
    return { node: consumed.nodeName, ...issued, controllerAddresses: this.controllerAddresses() };
  }

  /** A fresh certificate for the node the caller's (node) certificate names. */
  async renew(csrPem: string, ctx: CallContext): Promise<IssuedForNode> {
    const caller = principalOf(ctx);
    const node = caller.kind === 'node' ? caller.node : '';
    admit(ctx, 'NodeService/RenewCertificate', { node });
    const issued = await this.pki.ca.signNodeCsr(csrPem, node);
    await this.pki.certificates.put(node, issued.certificatePem);
    return { node, ...issued, controllerAddresses: this.controllerAddresses() };
  }

  /** The CA, the controller's server certificate, and the last certificate issued to each node. */
  async certificates(ctx: CallContext): Promise<CertificateSummary[]> {
    admit(ctx, 'NodeService/ListCertificates');
    const describe = (kind: 'ca' | 'controller', pem: string): CertificateSummary => {
      const c = parseCertificate(pem);
      return { kind, name: '', subject: c.subject, notBefore: new Date(c.validFrom).toISOString(), notAfter: new Date(c.validTo).toISOString(), fingerprint: fingerprintOf(c) };
    };
    const nodes = (await this.pki.certificates.list()).map((r: CertificateRecord): CertificateSummary => ({ kind: 'node', name: r.node, ...pick(r) }));
    return [describe('ca', this.pki.ca.certificatePem), describe('controller', this.pki.server.certificatePem), ...nodes];
  }

  /** Creates the Node with the agent's address (so an unbound token cannot join the name twice), or updates the address. */
  private async recordNode(name: string, address: string, tokenId: string): Promise<StoredObject> {
    const actor = `node:${name} (join token ${tokenId})`;
    return retryOnConflict(false, async () => {
      const current = (await readOptional(this.store, NODE, name)) as (StoredObject & { spec: { address?: string } }) | undefined;
      if (current === undefined) {
        const object: StoredObject = { apiVersion: 'hvs/v1', kind: NODE, metadata: { name }, spec: { address } };
        const entry = { operation: 'join', kind: NODE, name, actor, generationBefore: 0, generationAfter: 1 };
        return (await auditedBatch(this.store, this.audit, [{ op: 'create', object }], [entry])).results[0]!.object;
      }
      const generation = current.metadata.generation ?? 1;
      const next = current.spec.address === address ? current : { ...current, spec: { ...current.spec, address } };
      const entry = { operation: 'join', kind: NODE, name, uid: current.metadata.uid, actor, generationBefore: generation, generationAfter: next === current ? generation : generation + 1 };
      return (await auditedBatch(this.store, this.audit, next === current ? [] : [{ op: 'update', object: next }], [entry])).results[0]?.object ?? current;
    });
  }
}

function pick(r: CertificateRecord): Omit<CertificateSummary, 'kind' | 'name'> {
  return { subject: r.subject, notBefore: r.notBefore, notAfter: r.notAfter, fingerprint: r.fingerprint };
}

function addressInvalid(address: string): HvsError {
  return new HvsError({
    code: 'HVS-JOIN-ADDRESS-INVALID', category: 'InvalidArgument', path: 'address',
    message: `the agent address ${JSON.stringify(address.slice(0, 80))} is not host:port`,
    why: 'the controller dials every agent at the address it gave when it joined',
    fix: 'start the agent with --advertise host:port (an address the controller can reach)',
  });
}
