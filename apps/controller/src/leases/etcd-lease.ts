/**
 * Bounded etcd lease primitives (grant, one keep-alive, revoke), each with a deadline through
 * EtcdConnection.call. etcd3's Lease class is not used: it reports a lost lease only after
 * twice its TTL, too late for leader safety.
 */
import { EtcdLeaseInvalidError } from 'etcd3';
import type { EtcdConnection } from '../store/etcd-connection';

export interface GrantedLease {
  id: string;
  ttlSeconds: number;
}

export async function grantLease(conn: EtcdConnection, ttlSeconds: number): Promise<GrantedLease> {
  const res = await conn.call((o) => conn.client.leaseClient.leaseGrant({ TTL: ttlSeconds }, o));
  return { id: res.ID, ttlSeconds: Number(res.TTL) };
}

/**
 * Renews once. Resolves with the remaining TTL in seconds: 0 means the lease has already
 * expired (or never existed) and must be re-granted.
 */
export async function keepAliveOnce(conn: EtcdConnection, id: string): Promise<number> {
  return conn.call(async (options) => {
    const stream = await conn.client.leaseClient.leaseKeepAlive(options);
    try {
      return await new Promise<number>((resolve, reject) => {
        stream.on('data', (res) => resolve(Number(res.TTL)));
        stream.on('error', reject);
        stream.on('end', () => reject(new Error('etcd ended the keep-alive stream')));
        stream.write({ ID: id });
      });
    } finally {
      stream.on('error', () => undefined);
      stream.end();
    }
  });
}

/** Revokes (deleting every key bound to it); a lease that is already gone counts as revoked. */
export async function revokeLease(conn: EtcdConnection, id: string): Promise<void> {
  try {
    await conn.call((o) => conn.client.leaseClient.leaseRevoke({ ID: id }, o));
  } catch (e) {
    if (!(e instanceof EtcdLeaseInvalidError) && !/lease not found/.test(String(e))) throw e;
  }
}
