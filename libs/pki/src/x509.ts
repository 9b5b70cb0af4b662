/**
 * The one place @peculiar/x509 is loaded, for the controller and the agent alike. It resolves
 * its classes through tsyringe, which needs the reflect-metadata polyfill before the library's
 * first import (hence reflect-metadata is a dependency of this lib, not of whoever happens to
 * load it first), and it signs through WebCrypto, which must be Node's own (no other provider
 * is trusted with key material).
 */
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

export type KeyPair = webcrypto.CryptoKeyPair;
export type Key = webcrypto.CryptoKey;

export { x509 };

/** ECDSA P-256 with SHA-256: what OpenSSL, Node's TLS and grpc-js all handle everywhere. */
export const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export async function generateKeyPair(): Promise<KeyPair> {
  return (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as KeyPair;
}

/** PKCS#8 PEM (`BEGIN PRIVATE KEY`), the form Node's TLS and grpc-js read. */
export async function exportPrivateKeyPem(key: Key): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** A certificate serial number: 128 random bits, top bit clear so the DER INTEGER stays positive. */
export function randomSerialNumber(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}
