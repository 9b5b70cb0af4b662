/** The coded problems of IPAM and Network admission (docs/troubleshooting.md lists them). */
import { HvsError, type ErrorCategory, type Problem } from '@hvs/domain';

export function addressTaken(vm: string, path: string, ip: string, network: string, holder: { vm: string; nic: string }): Problem {
  return {
    code: 'HVS-NET-ADDRESS-TAKEN', path,
    message: `VirtualMachine ${vm}: address ${ip} on Network ${network} is already reserved for VirtualMachine ${holder.vm} (NIC ${holder.nic})`,
    why: 'an address belongs to one NIC cluster-wide: every node hands out the same reservations, so two holders would clash on the wire',
    fix: `leave spec.networks[].ip out to get a free address, pick another one, or delete/change VirtualMachine ${holder.vm} first`,
  };
}

export function addressInvalid(vm: string, path: string, ip: string, network: string, why: string): Problem {
  return {
    code: 'HVS-NET-ADDRESS-INVALID', path,
    message: `VirtualMachine ${vm}: address ${ip} cannot be reserved on Network ${network}`, why,
    fix: `pick an address inside the Network's range (\`hvctl get network ${network} -o yaml\`: spec.subnet, spec.dhcp), or leave ip out to get a free one`,
  };
}

export function rangeExhausted(vm: string, path: string, network: string, capacity: number): Problem {
  return {
    code: 'HVS-NET-RANGE-EXHAUSTED', path,
    message: `VirtualMachine ${vm}: Network ${network} has no free address left (all ${capacity} of its range are reserved)`,
    why: 'every NIC on a nat/isolated/vxlan Network holds an address of the range for as long as its VM exists',
    fix: `widen the range (spec.dhcp, or a larger spec.subnet while no VM uses the Network) or free addresses by deleting VMs on it (\`hvctl get vms\`)`,
  };
}

const CATEGORY: Record<string, ErrorCategory> = {
  'HVS-NET-RANGE-EXHAUSTED': 'ResourceExhausted',
  'HVS-NET-ADDRESS-INVALID': 'InvalidArgument',
  'HVS-NET-SUBNET-OVERLAP': 'FailedPrecondition',
  'HVS-NET-SUBNET-HOST-CONFLICT': 'FailedPrecondition',
  'HVS-NET-SUBNET-IN-USE': 'FailedPrecondition',
  'HVS-NET-SUBNET-POOL-EXHAUSTED': 'ResourceExhausted',
};

/** Every problem of an admission in one error (the first one's code and category); nothing is written. */
export function admissionRefused(problems: readonly Problem[]): HvsError {
  const first = problems[0]!;
  return new HvsError({ ...first, category: CATEGORY[first.code] ?? 'FailedPrecondition', problems: [...problems] });
}
