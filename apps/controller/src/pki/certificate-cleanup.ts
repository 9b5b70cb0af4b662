/**
 * Removes a node's certificate record when its Node object is deleted. Refusal does not wait
 * for this (NodeCertificates.verify checks the Node's existence itself); this keeps etcd and
 * `hvctl diagnose` free of records of nodes that are gone.
 *
 * A sweep at start (and after any broken watch) removes records whose Node is absent, then a
 * watch on the Node prefix removes each record as its Node goes. Removal is conditional on the
 * Node being absent in the same etcd transaction, so a node joined again under the same name
 * keeps its new record. Runs on every controller; the removals are idempotent.
 */
import { kindPrefix } from '../store/objects';
import { watchPrefix } from '../store/etcd-watch';
import type { EtcdConnection } from '../store/etcd-connection';
import type { NodeCertificates } from './node-certificates';

type Log = { warn(o: object, m: string): void };

const RESTART_MS = 5_000;

export class CertificateCleanup {
  private stopped = false;
  private closeWatch: (() => Promise<void>) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly connection: EtcdConnection, private readonly certificates: NodeCertificates, private readonly log: Log) {}

  start(): void {
    this.stopped = false;
    void this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.closeWatch?.();
  }

  private async run(): Promise<void> {
    try {
      const revision = await this.sweep();
      const prefix = kindPrefix('Node');
      const queue = watchPrefix<{ type: string; name: string }>(this.connection, {
        kind: 'Node', prefix, afterRevision: revision, reconnectTimeoutMs: 30_000,
        decode: (kv, type) => ({ type, name: kv.key.toString('utf8').slice(prefix.length) }),
      });
      this.closeWatch = () => queue.close();
      if (this.stopped) return void (await queue.close());
      for await (const e of queue) if (e.type === 'DELETED') await this.certificates.forget(e.name);
    } catch (err) {
      if (this.stopped) return;
      this.log.warn({ component: 'pki', err }, 'removing the certificate records of deleted nodes paused; retrying (refusal of their certificates does not depend on it)');
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.run(), RESTART_MS);
      this.timer.unref();
    }
  }

  /** Removes the records of absent nodes; returns the etcd revision the sweep started at. */
  private async sweep(): Promise<number> {
    const res = await this.connection.call((o) => this.connection.client.kv.range({ key: Buffer.from(kindPrefix('Node')), count_only: true }, o));
    for (const node of await this.certificates.recordedNodes()) await this.certificates.forget(node);
    return Number(res.header.revision);
  }
}
