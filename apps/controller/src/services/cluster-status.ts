/**
 * What `hvctl diagnose` asks the controller about the cluster: who leads (the leader key in
 * etcd) and whether etcd answers, timed. Never throws: an etcd failure is part of the answer.
 */
import { LEADER_KEY, type LeaderInfo } from '../leader/leader-elector';
import type { EtcdConnection } from '../store/etcd-connection';
import { admit } from './access';
import type { CallContext } from './call-context';

export interface ClusterStatus {
  leaderId: string;
  leaderAddress: string;
  etcdOk: boolean;
  etcdError: string;
  etcdLatencyMs: number;
}

export async function clusterStatus(ctx: CallContext, connection: EtcdConnection): Promise<ClusterStatus> {
  admit(ctx, 'NodeService/ClusterStatus');
  const started = Date.now();
  try {
    const res = await connection.call((o) => connection.client.kv.range({ key: Buffer.from(LEADER_KEY) }, o));
    const kv = res.kvs[0];
    const leader = kv ? (JSON.parse(kv.value.toString('utf8')) as LeaderInfo) : undefined;
    return { leaderId: leader?.id ?? '', leaderAddress: leader?.address ?? '', etcdOk: true, etcdError: '', etcdLatencyMs: Date.now() - started };
  } catch (e) {
    return { leaderId: '', leaderAddress: '', etcdOk: false, etcdError: (e as Error).message, etcdLatencyMs: Date.now() - started };
  }
}
