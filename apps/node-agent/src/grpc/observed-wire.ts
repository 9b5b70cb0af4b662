/**
 * The agent's observed state (domain values, observed/observed-state.ts) -> hvs.agent.v1
 * AgentEvent messages, once, for the Watch stream.
 */
import type { ImageObservation, NetworkObservation, VmEvent, VmObservation } from '@hvs/domain';
import { problemToDetail, vmEventTypes, type agentv1 } from '@hvs/proto';
import type { SequencedChange } from '../observed/observed-state';
import { toWireHostFacts } from './host-facts';

export function toWireVm(o: VmObservation): agentv1.VmObserved {
  return {
    name: o.name, uid: o.uid, phase: o.phase, reason: o.reason, message: o.message, ips: [...o.ips], node: o.node,
    observedGeneration: o.observedGeneration, pendingRestart: [...o.pendingRestart],
    console: o.console && { type: o.console.type, host: o.console.host, port: o.console.port, node: o.console.node, tlsPort: o.console.tlsPort ?? 0 },
    error: o.error && problemToDetail(o.error),
    interfaces: (o.interfaces ?? []).map((i) => ({ name: i.name, mac: i.mac, network: i.network, ipv4: i.ipv4 ?? '', ipv6: [...(i.ipv6 ?? [])], source: i.source ?? '', dnsName: i.dnsName ?? '' })),
  };
}

export function toWireNetwork(n: NetworkObservation): agentv1.NetworkObserved {
  return { network: n.network, bridge: n.bridge, ready: n.ready, reason: n.reason, message: n.message, error: n.error && problemToDetail(n.error), removed: n.removed ?? false };
}

export function toWireImage(i: ImageObservation): agentv1.ImageObserved {
  return {
    image: i.image, phase: i.phase, bytes: i.bytes, totalBytes: i.totalBytes, bytesPerSecond: i.bytesPerSecond, etaSeconds: i.etaSeconds, verified: i.verified,
    digest: i.digest, reason: i.reason, message: i.message, expectedDigest: i.expectedDigest ?? '', actualDigest: i.actualDigest ?? '', error: i.error && problemToDetail(i.error),
  };
}

export function toWireVmEvent(e: VmEvent): agentv1.VmEvent {
  return { name: e.name, uid: e.uid, type: vmEventTypes.toProto(e.type), reason: e.reason, message: e.message, time: e.time };
}

export function toWireAgentEvent({ sequence, change: c }: SequencedChange, nodeName: string): agentv1.AgentEvent {
  switch (c.type) {
    case 'snapshot': {
      const s = c.snapshot;
      return {
        sequence,
        event: {
          $case: 'snapshot',
          value: {
            host: s.host && toWireHostFacts(s.host, nodeName), vms: s.vms.map(toWireVm), observedGeneration: s.observedGeneration,
            unmanagedDomains: s.unmanagedDomains, fencingToken: s.fencingToken, fenced: false,
            networks: s.networks.map(toWireNetwork), images: s.images.map(toWireImage),
          },
        },
      };
    }
    case 'vm':
      return { sequence, event: { $case: 'vm', value: toWireVm(c.vm) } };
    case 'network':
      return { sequence, event: { $case: 'network', value: toWireNetwork(c.network) } };
    case 'image':
      return { sequence, event: { $case: 'image', value: toWireImage(c.image) } };
    case 'vmEvent':
      return { sequence, event: { $case: 'vmEvent', value: toWireVmEvent(c.event) } };
    case 'hostFacts':
      return { sequence, event: { $case: 'hostFacts', value: toWireHostFacts(c.host, nodeName) } };
    case 'vmRemoved':
      return { sequence, event: { $case: 'vmRemoved', value: { uid: c.uid, name: c.name, cleanedUp: c.cleanedUp, volumesKept: c.volumesKept } } };
  }
}
