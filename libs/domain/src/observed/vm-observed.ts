/**
 * What a node agent observes of the VMs on its host, as domain values. The agent's core
 * (reconciler, observed state) speaks these; its gRPC edge turns them into hvs.agent.v1
 * messages (VmObserved, VmEvent, VmRemoved) and the controller reads them back into
 * VirtualMachine.status. Pure data: no wire types, no I/O.
 */
import type { Problem } from '../errors';

/** The phases an agent reports (a subset of VirtualMachine.status.phase: no Scheduled, Migrating, Unknown). */
export const AGENT_VM_PHASES = ['Pending', 'Starting', 'Running', 'Stopping', 'Stopped', 'Failed'] as const;
export type AgentVmPhase = (typeof AGENT_VM_PHASES)[number];

/** A graphics console a running domain listens on (libvirt picks the port at start). */
export interface ConsoleEndpoint {
  /** 'vnc' or 'spice'. */
  type: string;
  host: string;
  port: number;
  /** The node the VM runs on. */
  node: string;
  /** Set when the console is served over TLS too. */
  tlsPort?: number;
}

/** One managed VM as its agent sees it now. */
export interface VmObservation {
  name: string;
  uid: string;
  phase: AgentVmPhase;
  /** CamelCase, e.g. `LibvirtError`, `Crashed`. */
  reason: string;
  message: string;
  ips: string[];
  node: string;
  /** The VM's metadata.generation the domain was last defined from. */
  observedGeneration: number;
  /** Changes that wait for a restart of the guest. */
  pendingRestart: string[];
  console?: ConsoleEndpoint;
  /** Set with phase Failed: what failed, why, how to fix. */
  error?: Problem;
  /** Per NIC: MAC, Network and the addresses seen (VirtualMachine status.interfaces). */
  interfaces?: InterfaceObservation[];
}

export interface InterfaceObservation {
  name: string;
  mac: string;
  network: string;
  ipv4?: string;
  ipv6?: string[];
  source?: 'reservation' | 'lease' | 'guest-agent';
  dnsName?: string;
}

/** How one Network is realised on the agent's host (Network status.nodes[]). */
export interface NetworkObservation {
  network: string;
  bridge: string;
  ready: boolean;
  /** CamelCase: Realised, Simulated, BridgeMissing, DnsmasqFailed, NameClash, Removed... */
  reason: string;
  message: string;
  error?: Problem;
  /** The Network left the assignment and nothing of it is left on this host. */
  removed?: boolean;
}

/** This host's copy of one Image (Image status.nodes[]). */
export interface ImageObservation {
  image: string;
  phase: 'Pending' | 'Downloading' | 'Ready' | 'Failed';
  bytes: number;
  totalBytes: number;
  bytesPerSecond: number;
  etaSeconds: number;
  verified: boolean;
  /** `sha256:<hex>` of the cached bytes (with Ready). */
  digest: string;
  reason: string;
  message: string;
  expectedDigest?: string;
  actualDigest?: string;
  error?: Problem;
}

export const VM_EVENT_TYPES = ['Started', 'Stopped', 'Crashed', 'ReconcileError', 'Migrated', 'Defined', 'Undefined', 'Fenced', 'ImageUsed'] as const;
export type VmEventType = (typeof VM_EVENT_TYPES)[number];

/** Something that happened to a VM (a row of `hvctl events`). */
export interface VmEvent {
  name: string;
  uid: string;
  type: VmEventType;
  reason: string;
  message: string;
  /** RFC 3339. */
  time: string;
}
