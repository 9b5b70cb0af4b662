import { startEtcd, type EtcdInstance } from '../../../../test/harness';
import { EtcdConnection } from '../../src/store';
import { EtcdTokenRepository, JOIN_TOKEN_PREFIX, JoinTokens, MemoryTokenRepository } from '../../src/pki';
import { describeJoinTokensContract } from './token-contract';

// Real etcd: every call inside has its own 5 s deadline; this bounds the whole test.
jest.setTimeout(30_000);

let etcd: EtcdInstance;
let connection: EtcdConnection;

beforeAll(async () => {
  etcd = await startEtcd();
  connection = new EtcdConnection({ endpoints: [etcd.endpoint], callTimeoutMs: 5_000 });
});
afterAll(async () => {
  connection?.close();
  await etcd?.stop();
});

describeJoinTokensContract('JoinTokens over MemoryTokenRepository', async () => new MemoryTokenRepository());

describeJoinTokensContract('JoinTokens over EtcdTokenRepository (real etcd)', async () => {
  await connection.client.delete().prefix(JOIN_TOKEN_PREFIX).exec();
  return new EtcdTokenRepository(connection);
});

describe('EtcdTokenRepository layout', () => {
  it('keeps each token at /hvs/v1/pki/join-tokens/<id> as hash + times, bound to a lease that outlives it', async () => {
    await connection.client.delete().prefix(JOIN_TOKEN_PREFIX).exec();
    const tokens = new JoinTokens(new EtcdTokenRepository(connection), { caFingerprint: 'cd'.repeat(32) });
    const t = await tokens.create({ ttlMs: 3_600_000 });
    const res = await connection.client.kv.range({ key: Buffer.from(JOIN_TOKEN_PREFIX + t.id) });
    const kv = res.kvs[0]!;
    expect(Object.keys(JSON.parse(kv.value.toString())).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'secretSha256']);
    expect(kv.value.toString()).not.toContain(t.token.split('.')[2]);
    const ttl = await connection.client.leaseClient.leaseTimeToLive({ ID: kv.lease });
    // 1 h of validity + 24 h in which consume still says "expired" rather than "invalid".
    expect(Number(ttl.grantedTTL)).toBe(25 * 3600);
  });
});
