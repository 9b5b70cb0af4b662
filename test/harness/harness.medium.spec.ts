import * as fs from 'node:fs';
import { HvsError } from '@hvs/domain';
import { etcdHealthy, startEtcd, type EtcdInstance } from './etcd';
import { requireBinary } from './binaries';
import { freePort, waitFor } from './processes';
import { redisPing, startRedis, type RedisInstance } from './redis';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('test harness', () => {
  let etcd: EtcdInstance | undefined;
  let redis: RedisInstance | undefined;
  afterEach(async () => {
    await etcd?.stop();
    await redis?.stop();
    etcd = undefined;
    redis = undefined;
  });

  it('starts etcd healthy on a loopback port, restarts it on the same endpoint and data dir, and cleans up on stop', async () => {
    etcd = await startEtcd();
    expect(etcd.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await etcdHealthy(etcd.endpoint)).toBe(true);
    const firstPid = etcd.pid;
    const { endpoint, dataDir } = etcd;

    await etcd.kill9();
    expect(alive(firstPid)).toBe(false);
    expect(await etcdHealthy(endpoint)).toBe(false);

    await etcd.restart();
    expect(etcd.pid).not.toBe(firstPid);
    expect(etcd.endpoint).toBe(endpoint);
    expect(await etcdHealthy(endpoint)).toBe(true);

    const pid = etcd.pid;
    await etcd.stop();
    etcd = undefined;
    expect(alive(pid)).toBe(false);
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it('starts redis answering PING and stops it by PID', async () => {
    redis = await startRedis();
    expect(await redisPing(redis.port)).toBe(true);
    const { pid, port } = redis;
    await redis.stop();
    redis = undefined;
    expect(alive(pid)).toBe(false);
    expect(await redisPing(port)).toBe(false);
  });

  it('gives free loopback ports in range', async () => {
    const ports = new Set(await Promise.all([freePort(), freePort(), freePort()]));
    expect([...ports].every((p) => p > 0 && p < 65536)).toBe(true);
  });

  it('says how to install a missing binary instead of skipping', () => {
    let err: unknown;
    try {
      requireBinary('hvs-no-such-binary', 'hvs-missing-package');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HvsError);
    expect((err as HvsError).code).toBe('HVS-TEST-BINARY-MISSING');
    expect((err as HvsError).fix).toMatch(/npm test/);
  });

  it('waitFor throws with what it waited for after the deadline', async () => {
    await expect(waitFor(() => false, { what: 'never', timeoutMs: 100, intervalMs: 10 })).rejects.toThrow(/waiting for never/);
  });
});
