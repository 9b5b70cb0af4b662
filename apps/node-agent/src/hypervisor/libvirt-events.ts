import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { DomainEvent, DomainEventType, DomainInfo, DomainState } from './driver';
import type { EventHub } from './event-hub';
import { parseEventLine } from './virsh';

/**
 * Where LibvirtDriver's events come from.
 * - Real libvirtd: `virsh event --all --loop --timestamp`, one child per driver, started with the
 *   first subscriber, restarted (1 s later) when it exits, e.g. because libvirtd restarted.
 * - Test driver: its state lives in this process only, so a virsh child would see another world.
 *   Events are synthesised from the driver's own calls and from a periodic list diff.
 * Both may miss changes while (re)starting: consumers resync with list() (level-triggered).
 */
export interface EventSource {
  start(): void;
  stop(): void;
}

export class VirshEventSource implements EventSource {
  private child: ChildProcess | undefined;
  private running = false;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly uri: string,
    private readonly hub: EventHub<DomainEvent>,
    private readonly restartDelayMs = 1000,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.spawnChild();
  }

  private spawnChild(): void {
    const child = spawn('virsh', ['-q', '-c', this.uri, 'event', '--all', '--loop', '--timestamp'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    this.child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const e = parseEventLine(line);
      if (e) this.hub.publish(e);
    });
    child.stderr!.resume();
    child.on('error', () => undefined);
    child.on('exit', () => {
      if (this.child === child) this.child = undefined;
      if (!this.running) return;
      this.restartTimer = setTimeout(() => this.running && this.spawnChild(), this.restartDelayMs);
      this.restartTimer.unref();
    });
  }

  stop(): void {
    this.running = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.child?.kill('SIGTERM');
    this.child = undefined;
  }
}

/** The events a state change implies, in libvirt's vocabulary. */
export function transitionEvents(prev: DomainState | undefined, next: DomainState | undefined): DomainEventType[] {
  if (prev === next) return [];
  if (next === undefined) return prev === 'running' || prev === 'paused' ? ['stopped', 'undefined'] : ['undefined'];
  const out: DomainEventType[] = prev === undefined ? ['defined'] : [];
  const wasUp = prev === 'running' || prev === 'paused' || prev === 'blocked';
  if (next === 'running' || next === 'blocked') out.push(prev === 'paused' ? 'resumed' : 'started');
  else if (next === 'paused') out.push(wasUp ? 'suspended' : 'started', ...(wasUp ? [] : (['suspended'] as DomainEventType[])));
  else if (next === 'crashed') out.push('crashed');
  else if (next === 'pmsuspended') out.push('pmsuspended');
  else if ((next === 'shutoff' || next === 'shutdown') && wasUp) out.push('stopped');
  return out;
}

/**
 * Tracks the last known state of every domain; `note()` is called after the driver's own calls
 * (synthetic events), `poll()` every interval (catches what happened otherwise, e.g. a crash).
 */
export class StateDiffEventSource implements EventSource {
  private readonly known = new Map<string, DomainState>();
  private timer: NodeJS.Timeout | undefined;
  private primed = false;
  /** Bumped by note(): a poll whose list() overlapped a note() is stale and is dropped. */
  private epoch = 0;

  constructor(
    private readonly list: () => Promise<DomainInfo[]>,
    private readonly hub: EventHub<DomainEvent>,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a state this driver caused and publishes what changed. `state` undefined: gone. */
  note(name: string, state: DomainState | undefined, detail: string, forceType?: DomainEventType): void {
    this.epoch++;
    const prev = this.known.get(name);
    if (state === undefined) this.known.delete(name);
    else this.known.set(name, state);
    const types = transitionEvents(prev, state);
    if (forceType && !types.includes(forceType)) types.push(forceType);
    for (const type of types) this.hub.publish({ type, name, detail, at: this.now(), source: 'synthetic' });
  }

  start(): void {
    if (this.timer) return;
    this.primed = false;
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One diff pass. The first pass after start() only learns the current states. */
  async poll(): Promise<void> {
    const epoch = this.epoch;
    let domains: DomainInfo[];
    try {
      domains = await this.list();
    } catch {
      return; // the next pass retries; a broken connection surfaces through the driver's calls
    }
    if (epoch !== this.epoch) return;
    const seen = new Set<string>();
    for (const d of domains) {
      seen.add(d.name);
      const prev = this.known.get(d.name);
      this.known.set(d.name, d.state);
      if (!this.primed) continue;
      for (const type of transitionEvents(prev, d.state)) {
        this.hub.publish({ type, name: d.name, detail: type === 'crashed' ? 'Crashed' : '', at: this.now(), source: 'poll' });
      }
    }
    for (const name of [...this.known.keys()]) {
      if (seen.has(name)) continue;
      const prev = this.known.get(name);
      this.known.delete(name);
      if (!this.primed) continue;
      for (const type of transitionEvents(prev, undefined)) this.hub.publish({ type, name, detail: '', at: this.now(), source: 'poll' });
    }
    this.primed = true;
  }
}
