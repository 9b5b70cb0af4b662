import { HvsError, renderDomainXml, validateKind, type Image, type Network, type Problem, type VirtualMachine } from '@hvs/domain';
import { fromProtoObject, type agentv1 } from '@hvs/proto';
import { assignmentFacts, factsKey, type HostRenderFacts } from '../domains/render-facts';
import type { Peer } from '../fencing';
import { bridgeName } from '../network/naming';
import { VXLAN_MTU } from '../network/plan';
import type { Assignment, NetworkBinding, NetworkRealisation, NicBinding, RenderedXml } from '../state/assignment-store';
import { splitCloudInit, type CloudInitMaterial } from '../state/cloud-init-material';

const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export interface AssignContext {
  nodeName: string;
  /** This host's render facts (the networks come from the Assign itself). */
  facts: HostRenderFacts;
}

/** A checked Assign, in domain terms: the assignment (with each VM's XML) and the self-fencing settings. */
export interface AssignInput {
  assignment: Assignment;
  peers: Peer[];
  fenceAfterMs: number;
}

function prefixed(where: string, p: Problem): Problem {
  return { ...p, path: p.path ? `${where} ${p.path}` : where };
}

function problemsOf(e: unknown, where: string): Problem[] {
  if (e instanceof HvsError) return e.problems.map((p) => prefixed(where, p));
  return [{ code: 'HVS-AGENT-ASSIGN-INVALID', path: where, message: 'could not be read', why: e instanceof Error ? e.message : String(e), fix: 'send a well-formed object' }];
}

/**
 * Where a Network's NICs plug in on this host: our own bridge for nat/isolated/vxlan (network/
 * creates it; libvirt's test driver accepts a bridge that does not exist), the operator's bridge
 * in bridge mode. MTU and VLAN travel to the NIC's XML.
 */
export function nicRealisation(n: Network): NetworkRealisation {
  // The schema requires spec.bridge in bridge mode.
  const bridge = n.spec.mode === 'bridge' ? n.spec.bridge ?? '' : bridgeName(n.metadata.name);
  const mtu = n.spec.mtu ?? (n.spec.mode === 'vxlan' ? VXLAN_MTU : undefined);
  return { bridge, ...(mtu !== undefined ? { mtu } : {}), ...(n.spec.vlan !== undefined ? { vlan: n.spec.vlan } : {}) };
}

/**
 * AssignRequest -> AssignInput, or one HvsError (InvalidArgument) with EVERY problem found: the
 * node name, each Network, each VM (envelope, schema, uid, duplicates) and the domain XML each
 * VM renders to on this host. This is the one validation of an Assign on the agent side, and
 * the one render: the XML travels on in `assignment.rendered` (with the facts it was rendered
 * for) and the reconciler defines it as is. Nothing is written by this function; the caller
 * persists only a fully valid assignment, so an Assign is never half-applied.
 */
export function assignmentFromRequest(req: agentv1.AssignRequest, ctx: AssignContext): AssignInput {
  const problems: Problem[] = [];
  if (req.node !== '' && req.node !== ctx.nodeName) {
    problems.push({ code: 'HVS-AGENT-NODE-MISMATCH', path: 'node', message: `the assignment is for node '${req.node.slice(0, 80)}', this agent is '${ctx.nodeName}'`, why: 'an agent only runs what is assigned to its own node', fix: 'check the agent address the controller has for this node (HVS_NODE_NAME on the agent)' });
  }
  if (!Number.isSafeInteger(req.generation) || req.generation < 0 || !Number.isSafeInteger(req.fencingToken) || req.fencingToken < 0) {
    problems.push({ code: 'HVS-AGENT-ASSIGN-INVALID', path: 'generation', message: 'generation and fencing_token must be whole numbers >= 0', why: `got ${req.generation} and ${req.fencingToken}`, fix: 'send the node generation and the etcd revision' });
  }

  const networks: Record<string, NetworkRealisation> = {};
  const networkObjects: Record<string, Network> = {};
  req.networks.forEach((obj, i) => {
    const where = `networks[${i}]`;
    try {
      const r = validateKind('Network', fromProtoObject(obj));
      if (!r.ok) {
        problems.push(...r.problems.map((p) => prefixed(where, p)));
        return;
      }
      const n = r.value;
      networkObjects[n.metadata.name] = n;
      networks[n.metadata.name] = nicRealisation(n);
    } catch (e) {
      problems.push(...problemsOf(e, where));
    }
  });

  const networkBindings: Record<string, NetworkBinding> = {};
  req.networkBindings.forEach((b, i) => {
    const network = networkObjects[b.network];
    if (network === undefined) {
      problems.push({ code: 'HVS-AGENT-ASSIGN-INVALID', path: `networkBindings[${i}]`, message: `binding for network ${JSON.stringify(b.network.slice(0, 80))}, which the Assign does not carry`, why: 'a binding completes a Network of the same Assign', fix: 'send the Network object with its binding' });
      return;
    }
    networkBindings[b.network] = {
      network,
      reservations: b.reservations.map((r) => ({ vm: r.vm, vmUid: r.vmUid, nic: r.nic, mac: r.mac, ipv4: r.ipv4, dnsName: r.dnsName, local: r.local })),
      vtepLocal: b.vtepLocal, vtepPeers: [...b.vtepPeers],
    };
  });
  // A Network sent without a binding (a controller before IPAM) is still realised: no reservations, no peers.
  for (const [name, network] of Object.entries(networkObjects)) networkBindings[name] ??= { network, reservations: [], vtepLocal: '', vtepPeers: [] };

  const images: Record<string, Image> = {};
  req.images.forEach((obj, i) => {
    try {
      const r = validateKind('Image', fromProtoObject(obj));
      if (r.ok) images[r.value.metadata.name] = r.value;
      else problems.push(...r.problems.map((p) => prefixed(`images[${i}]`, p)));
    } catch (e) {
      problems.push(...problemsOf(e, `images[${i}]`));
    }
  });

  const nics: Record<string, NicBinding[]> = {};
  const imageDigests: Record<string, Record<string, string>> = {};
  const vms: VirtualMachine[] = [];
  const rendered: Record<string, RenderedXml> = {};
  const cloudInit: Record<string, CloudInitMaterial> = {};
  const facts = assignmentFacts(ctx.facts, networks);
  const key = factsKey(facts);
  const uids = new Map<string, number>();
  const names = new Map<string, number>();
  req.vms.forEach((a, i) => {
    let where = `vms[${i}]`;
    try {
      if (a.vm === undefined) throw new HvsError({ code: 'HVS-AGENT-ASSIGN-INVALID', category: 'InvalidArgument', message: 'the VM object is missing', fix: 'set VmAssignment.vm' });
      where = `vms[${i}] ${a.vm.metadata?.name || '<no name>'}`;
      const r = validateKind('VirtualMachine', fromProtoObject(a.vm));
      if (!r.ok) {
        problems.push(...r.problems.map((p) => prefixed(where, p)));
        return;
      }
      const vm = r.value;
      const uid = vm.metadata.uid ?? '';
      if (!LABEL.test(uid)) {
        problems.push({ code: 'HVS-AGENT-VM-UID-INVALID', path: `${where} metadata.uid`, message: uid === '' ? 'metadata.uid is missing' : `metadata.uid ${JSON.stringify(uid.slice(0, 80))} is not a DNS label`, why: 'the domain (hvs-<uid>) and its volumes are named after the uid', fix: 'the controller assigns a lower-case UUID as uid; send the stored object' });
        return;
      }
      const dupUid = uids.get(uid);
      if (dupUid !== undefined) problems.push({ code: 'HVS-AGENT-VM-DUPLICATE', path: `${where} metadata.uid`, message: `uid ${uid} is also used by vms[${dupUid}]`, why: 'one uid is one domain', fix: 'send each VM once' });
      const dupName = names.get(vm.metadata.name);
      if (dupName !== undefined) problems.push({ code: 'HVS-AGENT-VM-DUPLICATE', path: `${where} metadata.name`, message: `name ${vm.metadata.name} is also used by vms[${dupName}]`, why: 'VM names are unique', fix: 'send each VM once' });
      uids.set(uid, i);
      names.set(vm.metadata.name, i);
      if (a.nics.length > 0) nics[uid] = a.nics.map((n) => ({ ...n, dnsServers: [...n.dnsServers] }));
      if (Object.keys(a.imageDigests).length > 0) imageDigests[uid] = { ...a.imageDigests };
      try {
        rendered[uid] = { xml: renderDomainXml(vm, facts), factsKey: key };
      } catch (e) {
        // A cdrom from an Image this node has not cached yet: the image cache fetches it and the
        // reconciler renders once it is verified (the VM waits ImageNotReady meanwhile).
        const pending = e instanceof HvsError && e.code === 'HVS-XML-IMAGE-UNKNOWN' && vm.spec.cdrom?.image !== undefined && Object.hasOwn(images, vm.spec.cdrom.image);
        if (!pending) problems.push(...problemsOf(e, where));
      }
      // The secret part stays in memory only (cloud-init-material.ts); what is kept and persisted has none.
      const split = splitCloudInit(vm, a.secrets);
      if (split.material) cloudInit[uid] = split.material;
      vms.push(split.vm);
    } catch (e) {
      problems.push(...problemsOf(e, where));
    }
  });

  if (problems.length > 0) {
    const first = problems[0];
    throw new HvsError({
      code: first.code, category: 'InvalidArgument', path: first.path,
      message: `assignment refused: ${problems.length} problem(s), nothing was applied (first: ${first.path ? `${first.path}: ` : ''}${first.message})`,
      why: first.why, fix: first.fix, problems,
    });
  }
  return {
    assignment: { generation: req.generation, fencingToken: req.fencingToken, vms, networks, networkBindings, nics, images, imageDigests, rendered, cloudInit },
    peers: req.peers.map((p) => ({ node: p.node, address: p.address })),
    fenceAfterMs: req.fenceAfterMs,
  };
}
