/**
 * Joining hosts (docs/security.md, docs/joining.md): join tokens for admins (one-time or
 * multi-use), Join for a new agent (token + CSR -> a certificate for its node name only),
 * RenewCertificate for a joined agent (its current certificate decides the name), and the
 * certificate list `hvctl diagnose` reads.
 *
 * Guarantees:
 *  - a token's secret is returned once by createToken and never stored, logged or audited
 *    (the audit record names the token id only);
 *  - Join signs the CSR before it consumes the token, so a refused request (bad CSR, wrong
 *    name in it) does not burn the token; the certificate is returned only if the token was
 *    consumed, and a token is consumed at most once (compare-and-delete in etcd);
 *  - a node's certificate only ever names that node: Join certifies the name the token allows,
 *    renew the name of the certificate the caller presented;
 *  - an existing node is never taken over silently: a token naming it is refused at creation
 *    unless the admin asks to replace it, a join under its name needs such a token, and a
 *    replace (authorised and done) is audited on the Node. Replacing swaps the node's recorded
 *    certificate, so the old host's certificates stop working (pki/node-certificates.ts).
 */
import { HvsError, isHvsError } from '@hvs/domain';
import type { AuditService } from '../audit';
import type { CertificateRecord, ClusterPki, CreatedJoinToken, CreateTokenRequest, JoinTokenSummary } from '../pki';
import { fingerprintOf, JoinTokens, nodeExistsAtCreate, nodeExistsAtJoin, parseCertificate } from '../pki';
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

  /**
   * The token is in the result once; only its id reaches the audit log. A token for an existing
   * node needs `replace`; one minted with it is audited on the Node too (replace-node-authorized).
   */
  async createToken(request: CreateTokenRequest, ctx: CallContext): Promise<CreatedJoinToken & { caFingerprint: string }> {
    admit(ctx, 'NodeService/CreateJoinToken');
    try {
      const { nodeName, replace } = JoinTokens.validate(request);
      const existing = nodeName === undefined ? undefined : await readOptional(this.store, NODE, nodeName);
      if (nodeName !== undefined && existing !== undefined && !replace) throw nodeExistsAtCreate(nodeName);
      const created = await this.pki.tokens.create(request);
      const generation = existing?.metadata.generation ?? 0;
      await this.audit.append([
        { operation: 'create-join-token', kind: TOKEN_KIND, name: created.id, actor: ctx.actor, generationBefore: 0, generationAfter: 1, result: 'ok' },
        ...(replace && nodeName !== undefined
          ? [{ operation: 'replace-node-authorized', kind: NODE, name: nodeName, ...(existing?.metadata.uid ? { uid: existing.metadata.uid } : {}), actor: ctx.actor, generationBefore: generation, generationAfter: generation, result: 'ok' as const }]
          : []),
      ]);
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
    const actor = `node:${consumed.nodeName} (join token ${consumed.id})`;
    if (consumed.replace) {
      // Certificate first: from this write on, only the new host's key speaks for the node.
      await this.pki.certificates.issued(consumed.nodeName, issued.certificatePem, { at: 'join', replace: true });
      await this.replaceNode(consumed.nodeName, r.address, actor);
    } else {
      // Node first (create-only): of two joins racing for one new name, the loser fails here
      // and its certificate is never recorded, so it is never accepted.
      await this.createNode(consumed.nodeName, r.address, actor);
      await this.pki.certificates.issued(consumed.nodeName, issued.certificatePem, { at: 'join', replace: false });
    }
    return { node: consumed.nodeName, ...issued, controllerAddresses: this.controllerAddresses() };
  }

  /**
   * A fresh certificate for the node the caller's (node) certificate names. The certificate it
   * called with stays accepted until the new one is used (pki/node-certificates.ts).
   */
  async renew(csrPem: string, ctx: CallContext): Promise<IssuedForNode> {
    const caller = principalOf(ctx);
    const node = caller.kind === 'node' ? caller.node : '';
    admit(ctx, 'NodeService/RenewCertificate', { node });
    const issued = await this.pki.ca.signNodeCsr(csrPem, node);
    await this.pki.certificates.issued(node, issued.certificatePem, { at: 'renewal', presented: caller.kind === 'node' ? caller.fingerprint : undefined });
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

  /** A new Node with the agent's address; an existing one is never overwritten (HVS-JOIN-NODE-EXISTS). */
  private async createNode(name: string, address: string, actor: string): Promise<void> {
    const object: StoredObject = { apiVersion: 'hvs/v1', kind: NODE, metadata: { name }, spec: { address } };
    try {
      await auditedBatch(this.store, this.audit, [{ op: 'create', object }], [{ operation: 'join', kind: NODE, name, actor, generationBefore: 0, generationAfter: 1 }]);
    } catch (e) {
      if (isHvsError(e) && e.category === 'AlreadyExists') throw nodeExistsAtJoin(name);
      throw e;
    }
  }

  /** The replace token's join: the Node keeps its name and settings, takes the new host's address; audited as replace-node. */
  private async replaceNode(name: string, address: string, actor: string): Promise<void> {
    await retryOnConflict(false, async () => {
      const current = (await readOptional(this.store, NODE, name)) as (StoredObject & { spec: { address?: string } }) | undefined;
      if (current === undefined) return this.createNode(name, address, actor);
      const generation = current.metadata.generation ?? 1;
      const changed = current.spec.address !== address;
      const next = { ...current, spec: { ...current.spec, address } };
      const entry = { operation: 'replace-node', kind: NODE, name, uid: current.metadata.uid, actor, generationBefore: generation, generationAfter: changed ? generation + 1 : generation };
      await auditedBatch(this.store, this.audit, changed ? [{ op: 'update', object: next }] : [], [entry]);
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
