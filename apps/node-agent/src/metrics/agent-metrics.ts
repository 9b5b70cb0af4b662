import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { domainName } from '@hvs/domain';
import type { ReconcileOutcome } from '@hvs/reconcile';
import type { DomainStats } from '../hypervisor';
import type { ObservedState } from '../observed/observed-state';

export interface MetricsSources {
  observed: ObservedState;
  /** Stats of one domain; a failure skips that VM in this scrape. */
  stats(domain: string): Promise<DomainStats>;
  info: { node: string; mode: string; uri: string; version: string };
}

const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The agent's Prometheus metrics (prom-client, own registry). Reconcile and libvirt call metrics
 * are fed by hooks; domains by phase and per-VM usage are read at scrape time (per-VM from
 * driver.stats(), so a scrape costs one stats call per running VM and nothing when idle).
 */
export class AgentMetrics {
  readonly registry = new Registry();
  private readonly reconciles: Counter<'result'>;
  private readonly reconcileSeconds: Histogram<'result'>;
  private readonly reconcileErrors: Counter;
  private readonly libvirtSeconds: Histogram<'op' | 'ok'>;
  private sources: MetricsSources | undefined;

  constructor() {
    // The event-loop lag histogram samples on a timer; prom-client's 10 ms default wakes an idle
    // agent 100 times a second (~1 % of a core here). 100 ms still catches any stall that matters.
    collectDefaultMetrics({ register: this.registry, prefix: 'hvs_agent_process_', eventLoopMonitoringPrecision: 100 });
    this.reconciles = new Counter({ name: 'hvs_agent_reconcile_total', help: 'Domain reconcile calls by result (done, requeueAfter, error, terminal).', labelNames: ['result'], registers: [this.registry] });
    this.reconcileSeconds = new Histogram({ name: 'hvs_agent_reconcile_duration_seconds', help: 'Duration of one domain reconcile call.', labelNames: ['result'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
    this.reconcileErrors = new Counter({ name: 'hvs_agent_reconcile_errors_total', help: 'Domain reconcile calls that failed (retried with backoff, or terminal).', registers: [this.registry] });
    this.libvirtSeconds = new Histogram({ name: 'hvs_libvirt_call_duration_seconds', help: 'Latency of libvirt binding, virsh and qemu-img calls.', labelNames: ['op', 'ok'], buckets: LATENCY_BUCKETS, registers: [this.registry] });

    const sources = () => this.sources;
    new Gauge({
      name: 'hvs_agent_info', help: 'Constant 1; labels tell the node, the hypervisor mode (kvm, qemu, test), the libvirt URI and the agent version.',
      labelNames: ['node', 'mode', 'uri', 'version'], registers: [this.registry],
      collect() {
        this.reset();
        const src = sources();
        if (src) this.set(src.info, 1);
      },
    });
    new Gauge({
      name: 'hvs_agent_domains', help: 'Managed VMs by observed phase.', labelNames: ['phase'], registers: [this.registry],
      collect() {
        const src = sources();
        if (!src) return;
        for (const [phase, n] of Object.entries(src.observed.countByPhase())) this.set({ phase }, n);
      },
    });
    const perVm = (name: string, help: string, pick: (s: DomainStats) => number, counter: boolean) => ({ name, help, pick, counter });
    const series = [
      perVm('hvs_vm_cpu_seconds_total', 'Guest CPU time.', (s) => s.cpuTimeNs / 1e9, true),
      perVm('hvs_vm_memory_bytes', 'Guest memory in use (balloon RSS, or current allocation).', (s) => s.memoryBytes, false),
      perVm('hvs_vm_disk_read_bytes_total', 'Bytes read from all guest disks.', (s) => s.blockRdBytes, true),
      perVm('hvs_vm_disk_write_bytes_total', 'Bytes written to all guest disks.', (s) => s.blockWrBytes, true),
      perVm('hvs_vm_network_receive_bytes_total', 'Bytes received on all guest NICs.', (s) => s.netRxBytes, true),
      perVm('hvs_vm_network_transmit_bytes_total', 'Bytes sent on all guest NICs.', (s) => s.netTxBytes, true),
    ];
    // One stats() sweep per scrape, shared by the six series (the first collect starts it).
    let sweep: Promise<{ vm: string; uid: string; s: DomainStats }[]> | undefined;
    const statsOnce = () => {
      sweep ??= this.collectStats().finally(() => setImmediate(() => (sweep = undefined)));
      return sweep;
    };
    for (const m of series) {
      const labelNames = ['vm', 'uid'] as const;
      const collect = async function (this: Gauge<'vm' | 'uid'> | Counter<'vm' | 'uid'>) {
        this.reset();
        for (const { vm, uid, s } of await statsOnce()) {
          if (this instanceof Counter) this.inc({ vm, uid }, m.pick(s));
          else this.set({ vm, uid }, m.pick(s));
        }
      };
      if (m.counter) new Counter({ name: m.name, help: m.help, labelNames, registers: [this.registry], collect });
      else new Gauge({ name: m.name, help: m.help, labelNames, registers: [this.registry], collect });
    }
  }

  attach(sources: MetricsSources): void {
    this.sources = sources;
  }

  onReconcile(result: ReconcileOutcome, durationMs: number): void {
    this.reconciles.inc({ result });
    this.reconcileSeconds.observe({ result }, durationMs / 1000);
    if (result === 'error' || result === 'terminal') this.reconcileErrors.inc();
  }

  onLibvirtCall(op: string, ms: number, ok: boolean): void {
    this.libvirtSeconds.observe({ op, ok: String(ok) }, ms / 1000);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  private async collectStats(): Promise<{ vm: string; uid: string; s: DomainStats }[]> {
    const src = this.sources;
    if (!src) return [];
    const running = src.observed.all().filter((v) => v.phase === 'Running');
    const out = await Promise.all(running.map(async (v) => {
      try {
        return { vm: v.name, uid: v.uid, s: await src.stats(domainName(v.uid)) };
      } catch {
        return undefined;
      }
    }));
    return out.filter((x): x is { vm: string; uid: string; s: DomainStats } => x !== undefined);
  }
}
