/**
 * Joining a cluster and renewing the certificate afterwards.
 *
 * join: 1. parse the token and take the CA hash from it (or from --ca-hash);
 *       2. discover the CA over an unverified TLS handshake and accept it only if its hash
 *          matches (the token has not been sent anywhere yet);
 *       3. call NodeService.Join over TLS verified against that CA and the name
 *          `controller.hvs`, sending token, node name, CSR and this agent's address;
 *       4. check what comes back (same CA, our name, our key) and store it.
 * renewCertificate: RenewCertificate over mTLS with the current certificate; same checks.
 */
import { Metadata, credentials as grpcCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import { v1, hvsErrorFromServiceError } from '@hvs/proto';
import { CONTROLLER_SERVER_NAME, clientCredentialsFrom, fingerprintOf, parseJoinToken, serverNameOptions } from '@hvs/pki';
import type { AgentIdentity } from './agent-identity';
import { discoverClusterCa } from './ca-discovery';
import { caHashConflict, caHashMissing, issuedCertificateInvalid } from './errors';
import { checkServerIdentity } from 'node:tls';

/** The CA hash part of a join token, if it has one; HVS-JOIN-TOKEN-MALFORMED (never echoing it) otherwise. */
export function caHashOfToken(token: string): string | undefined {
  return parseJoinToken(token).caFingerprint;
}

/** `sha256:AB:CD...`, `AB:CD...` or plain hex, as people copy it from openssl or sha256sum. */
export function normalizeCaHash(hash: string): string {
  return hash.trim().toLowerCase().replace(/^sha256:/, '').replace(/:/g, '');
}

export interface JoinOptions {
  /** host:port of the controller's gRPC API. */
  controllerAddress: string;
  /** Secret: only ever sent to a server that proved it holds the pinned CA. */
  token: string;
  identity: AgentIdentity;
  /** host:port the controller dials this agent at. */
  agentAddress: string;
  /** The CA hash when the token does not carry one (--ca-hash). */
  caHash?: string;
  timeoutMs?: number;
}

export interface JoinResult {
  expiresAt: Date;
  caFingerprint: string;
  controllerAddresses: string[];
}

export async function join(options: JoinOptions): Promise<JoinResult> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const fromToken = caHashOfToken(options.token);
  const given = options.caHash ? normalizeCaHash(options.caHash) : undefined;
  if (fromToken && given && fromToken !== given) throw caHashConflict();
  const pinned = fromToken ?? given;
  if (!pinned) throw caHashMissing();
  const { caPem } = await discoverClusterCa(options.controllerAddress, pinned, timeoutMs);
  // Verified TLS from here on: the CA we just pinned, and the controller's name.
  const creds = grpcCredentials.createSsl(Buffer.from(caPem), null, null, {
    checkServerIdentity: (_host, cert) => checkServerIdentity(CONTROLLER_SERVER_NAME, cert),
  });
  const request = { token: options.token.trim(), nodeName: options.identity.nodeName, csrPem: await options.identity.createCsr(), address: options.agentAddress };
  const res = await unary(options.controllerAddress, creds, timeoutMs, (c, md, o, cb) => c.join(request, md, o, cb));
  return store(options.identity, res, pinned);
}

/**
 * A fresh certificate for the same key, asked for over mTLS with the current one (call it
 * when `needsRenewal(identity.certificatePem)`); live TLS material switches to it.
 */
export async function renewCertificate(controllerAddress: string, identity: AgentIdentity, timeoutMs = 15_000): Promise<JoinResult> {
  const creds = clientCredentialsFrom(identity.tlsMaterial(), { expectedServerName: CONTROLLER_SERVER_NAME });
  const csrPem = await identity.createCsr();
  const res = await unary(controllerAddress, creds, timeoutMs, (c, md, o, cb) => c.renewCertificate({ csrPem }, md, o, cb));
  return store(identity, res, fingerprintOf(identity.caCertificatePem!));
}

function store(identity: AgentIdentity, res: v1.JoinResponse, pinned: string): JoinResult {
  let caFingerprint: string;
  try {
    caFingerprint = fingerprintOf(res.caCertificatePem);
  } catch {
    throw issuedCertificateInvalid('the response has no readable CA certificate');
  }
  if (caFingerprint !== pinned) throw issuedCertificateInvalid('the response names a different CA than the one this host pinned');
  const saved = identity.saveIssued(res.certificatePem, res.caCertificatePem);
  return { expiresAt: saved.expiresAt, caFingerprint, controllerAddresses: res.controllerAddresses };
}

type Callback = (e: Error | null, res?: v1.JoinResponse) => void;

function unary(
  address: string,
  creds: ChannelCredentials,
  timeoutMs: number,
  call: (c: v1.NodeServiceClient, md: Metadata, o: { deadline: number }, cb: Callback) => void,
): Promise<v1.JoinResponse> {
  const client = new v1.NodeServiceClient(address, creds, serverNameOptions(CONTROLLER_SERVER_NAME));
  return new Promise<v1.JoinResponse>((resolve, reject) => {
    call(client, new Metadata(), { deadline: Date.now() + timeoutMs }, (e, res) => (e ? reject(hvsErrorFromServiceError(e)) : resolve(res!)));
  }).finally(() => client.close());
}

