/**
 * Test-side key and CSR making (the real agent side lives in apps/node-agent/src/pki). Temp
 * dirs, modes and error catching are shared with the agent's tests through libs/pki/test.
 */
import { webcrypto } from 'node:crypto';
import { x509, KEY_ALGORITHM, exportPrivateKeyPem, generateKeyPair } from '@hvs/pki';
import type { ClusterCa } from '../../src/pki';

export { x509 };
export { callFailure, modeOf, refusal, tempDirs } from '../../../../libs/pki/test/support';

export async function makeCsr(subject: string, opts: { sans?: x509.JsonGeneralName[] } = {}): Promise<{ csrPem: string; keyPem: string }> {
  const keys = await generateKeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subject, keys, signingAlgorithm: KEY_ALGORITHM,
    extensions: opts.sans ? [new x509.SubjectAlternativeNameExtension(opts.sans)] : [],
  });
  return { csrPem: csr.toString('pem'), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

export async function rsaCsr(subject: string): Promise<string> {
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  return (await x509.Pkcs10CertificateRequestGenerator.create({ name: subject, keys, signingAlgorithm: alg })).toString('pem');
}

/** A node's key and certificate as a joined agent holds them. */
export async function nodeIdentity(ca: ClusterCa, node: string): Promise<{ certPem: string; keyPem: string }> {
  const { csrPem, keyPem } = await makeCsr(`CN=node:${node}`);
  const issued = await ca.signNodeCsr(csrPem, node);
  return { certPem: issued.certificatePem, keyPem };
}
