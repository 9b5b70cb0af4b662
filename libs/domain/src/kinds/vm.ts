import { z } from 'zod';
import {
  CountSchema,
  CpusetSchema,
  IpSchema,
  LabelsSchema,
  MacSchema,
  NameSchema,
  PciAddressSchema,
  PoolPathSchema,
  SizeSchema,
  VendorDeviceSchema,
} from './common';
import { relativePathFault } from '../formats/formats';
import { CommonStatusFields, ConditionSchema, resourceSchema } from './meta';
import { RedactableStringSchema } from './secret';

/** One OpenSSH public key line (`ssh-ed25519 AAAA... comment`), as spec.cloudInit accepts it. */
export const SSH_KEY_LINE = /^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\n\r]*)?$/;
export const SSH_KEY_MAX = 16384;
const SshKeySchema = z
  .string()
  .max(SSH_KEY_MAX, { error: 'HVS-VM-SSH-KEY-INVALID' })
  .regex(SSH_KEY_LINE, { error: 'HVS-VM-SSH-KEY-INVALID' });

/** The first lines cloud-init recognises as user-data; anything else it ignores without a word. */
export const USER_DATA_HEADERS = ['#cloud-config', '#!', '#include', '#cloud-boothook', '#part-handler', '## template: jinja', 'Content-Type:', 'MIME-Version:'] as const;

export function knownUserDataHeader(userData: string): boolean {
  return USER_DATA_HEADERS.some((h) => userData.startsWith(h));
}

export const MAX_VCPUS = 512;

const CpuSchema = z.strictObject({
  cores: CountSchema(1, MAX_VCPUS, 'HVS-CPU-INVALID'),
  sockets: CountSchema(1, MAX_VCPUS, 'HVS-CPU-INVALID').optional(),
  threads: CountSchema(1, MAX_VCPUS, 'HVS-CPU-INVALID').optional(),
  /** 'host-passthrough' (default), 'host-model', or a named libvirt model such as 'EPYC'. */
  model: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/, { error: 'HVS-CPU-MODEL-INVALID' }).optional(),
  pinning: z.array(z.strictObject({ vcpu: CountSchema(0, MAX_VCPUS - 1, 'HVS-VM-PINNING-INVALID'), hostCpus: CpusetSchema })).max(MAX_VCPUS).optional(),
  numa: z
    .strictObject({
      cells: z.array(z.strictObject({ id: CountSchema(0, 63, 'HVS-VM-NUMA-INVALID'), cpus: CpusetSchema, memory: SizeSchema })).min(1).max(64),
    })
    .optional(),
});

const DiskSchema = z.strictObject({
  name: NameSchema,
  size: SizeSchema.optional(),
  /** Name of an Image to clone/back the disk from. */
  image: NameSchema.optional(),
  /** StoragePool name; default 'default'. */
  pool: NameSchema.optional(),
  bus: z.enum(['virtio', 'scsi', 'sata']).optional(),
  /** default qcow2; always written explicitly to the domain XML. */
  format: z.enum(['qcow2', 'raw']).optional(),
  /** Relative to the pool root; can never escape it. */
  path: PoolPathSchema.optional(),
  boot: CountSchema(1, 64, 'HVS-VM-BOOT-ORDER-INVALID').optional(),
});

/**
 * Direct kernel boot (libvirt `<os><kernel/><initrd/><cmdline/>`): QEMU loads the kernel and
 * initrd itself, no bootloader on a disk. Both files live in a storage pool like disks do, so a
 * VM can only boot what an operator put into a pool, never an arbitrary host file (an initrd
 * is readable by the guest). See docs/architecture/direct-kernel-boot.md.
 */
const BootPathSchema = z
  .string()
  .refine((v) => relativePathFault(v) === undefined, { error: 'HVS-VM-BOOT-PATH-INVALID' });

export const MAX_CMDLINE = 2048;

const BootSchema = z.strictObject({
  /** Relative to the pool root, e.g. `kernels/vmlinuz-6.1`. */
  kernel: BootPathSchema,
  initrd: BootPathSchema.optional(),
  /** StoragePool holding kernel and initrd; default 'default'. */
  pool: NameSchema.optional(),
  /** The kernel command line; at most 2048 bytes (x86 COMMAND_LINE_SIZE), no control characters. */
  cmdline: z
    .string()
    // eslint-disable-next-line no-control-regex
    .refine((v) => new TextEncoder().encode(v).length <= MAX_CMDLINE && !/[\u0000-\u001f\u007f]/.test(v), { error: 'HVS-VM-BOOT-CMDLINE-INVALID' })
    .optional(),
});

const NicSchema = z.strictObject({
  name: NameSchema,
  /** Network name. */
  network: NameSchema,
  /** Left out: the controller assigns one (52:54:00:xx:xx:xx) and keeps it with the address reservation. */
  mac: MacSchema.optional(),
  /** A wanted address on a nat/isolated/vxlan Network (inside its subnet); left out: the controller reserves one from the range. */
  ip: IpSchema.optional(),
  /** dhcp (default): the guest asks the node's DHCP, which hands out the reservation; static: cloud-init writes it. */
  addressing: z.enum(['dhcp', 'static']).optional(),
  model: z.enum(['virtio', 'e1000', 'rtl8139']).optional(),
  firewall: z.strictObject({ policies: z.array(NameSchema).max(32).optional() }).optional(),
});

export const VirtualMachineSpecSchema = z.strictObject({
  cpu: CpuSchema,
  memory: z.strictObject({
    size: SizeSchema,
    hugepages: z.strictObject({ pageSize: z.enum(['2MiB', '1GiB']) }).optional(),
  }),
  firmware: z.strictObject({ type: z.enum(['bios', 'uefi']), secureBoot: z.boolean().optional(), tpm: z.boolean().optional() }).optional(),
  boot: BootSchema.optional(),
  disks: z.array(DiskSchema).max(64),
  cdrom: z
    .strictObject({ image: NameSchema.optional(), path: PoolPathSchema.optional(), pool: NameSchema.optional(), bus: z.enum(['sata', 'scsi']).optional() })
    .optional(),
  networks: z.array(NicSchema).max(32),
  cloudInit: z
    .strictObject({
      /** The guest's hostname; default the VM's name. */
      hostname: NameSchema.optional(),
      /** Users cloud-init creates (structured user-data; not with userData). */
      users: z
        .array(z.strictObject({
          name: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: 'HVS-VM-CLOUDINIT-USER-INVALID' }),
          sshAuthorizedKeys: z.array(SshKeySchema).max(32).optional(),
          /** Passwordless sudo. */
          sudo: z.boolean().optional(),
          shell: z.string().regex(/^\/[A-Za-z0-9_./-]{1,127}$/, { error: 'HVS-VM-CLOUDINIT-USER-INVALID' }).optional(),
          groups: z.array(z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: 'HVS-VM-CLOUDINIT-USER-INVALID' })).max(32).optional(),
        }))
        .max(16)
        .optional(),
      /** Keys for the image's default user (structured user-data; not with userData). */
      sshAuthorizedKeys: z.array(SshKeySchema).max(32).optional(),
      /** Debian/Ubuntu package names installed at first boot (structured user-data; not with userData). */
      packages: z.array(z.string().regex(/^[a-z0-9][a-z0-9+.-]{0,127}$/, { error: 'HVS-VM-CLOUDINIT-PACKAGE-INVALID' })).max(128).optional(),
      /** Commands run once at first boot (structured user-data; not with userData). Shown like any spec field: secrets go into userData or secretRefs. */
      runcmd: z.array(z.string().max(4096, { error: 'HVS-VM-CLOUDINIT-TOO-LARGE' })).max(64).optional(),
      /** Raw user-data (`#cloud-config ...` or a script), instead of the structured fields. Treated as secret: never echoed in errors, logs or events. */
      userData: RedactableStringSchema.max(262144, { error: 'HVS-VM-CLOUDINIT-TOO-LARGE' }).optional(),
      networkConfig: RedactableStringSchema.max(65536, { error: 'HVS-VM-CLOUDINIT-TOO-LARGE' }).optional(),
      secretRefs: z.array(NameSchema).max(16).optional(),
    })
    .optional(),
  devices: z
    .strictObject({
      hostdevs: z
        .array(z.strictObject({ name: NameSchema, pciAddress: PciAddressSchema.optional(), vendorDevice: VendorDeviceSchema.optional() }))
        .max(16)
        .optional(),
    })
    .optional(),
  placement: z
    .strictObject({
      nodeSelector: LabelsSchema.optional(),
      affinity: z.array(z.strictObject({ labelSelector: LabelsSchema, weight: CountSchema(1, 100).optional() })).max(16).optional(),
      antiAffinity: z.array(z.strictObject({ labelSelector: LabelsSchema, required: z.boolean().optional() })).max(16).optional(),
      strategy: z.enum(['spread', 'binpack']).optional(),
    })
    .optional(),
  ha: z.strictObject({ restartPolicy: z.enum(['Always', 'Never']), priority: CountSchema(0, 1000).optional() }).optional(),
  runState: z.enum(['Running', 'Stopped']).default('Running'),
  dependsOn: z.array(NameSchema).max(32).optional(),
  backupPolicy: NameSchema.optional(),
  console: z.strictObject({ type: z.enum(['vnc', 'spice']), listen: IpSchema.optional() }).optional(),
});
export type VirtualMachineSpec = z.infer<typeof VirtualMachineSpecSchema>;

export const VM_PHASES = ['Pending', 'Scheduled', 'Starting', 'Running', 'Stopping', 'Stopped', 'Migrating', 'Failed', 'Unknown'] as const;

export const VirtualMachineStatusSchema = z.strictObject({
  phase: z.enum(VM_PHASES).optional(),
  node: NameSchema.optional(),
  observedGeneration: CommonStatusFields.observedGeneration,
  conditions: z.array(ConditionSchema).max(32).optional(),
  ips: z.array(IpSchema).max(64).optional(),
  /** Per NIC: its MAC, Network and addresses (reservation, DHCP lease, qemu-guest-agent). */
  interfaces: z
    .array(z.strictObject({
      name: NameSchema,
      mac: MacSchema,
      network: NameSchema,
      ipv4: IpSchema.optional(),
      ipv6: z.array(IpSchema).max(16).optional(),
      /** Where ipv4 comes from: reservation (not seen in use yet), lease (the node's DHCP), guest-agent. */
      source: z.enum(['reservation', 'lease', 'guest-agent']).optional(),
      /** `<vm>.<domain>` on that Network's DNS. */
      dnsName: z.string().max(253).optional(),
    }))
    .max(32)
    .optional(),
  console: z.strictObject({ type: z.string().max(16), host: z.string().max(253), port: z.number().int().min(1).max(65535) }).optional(),
  migration: NameSchema.optional(),
});
export type VirtualMachineStatus = z.infer<typeof VirtualMachineStatusSchema>;

export const VirtualMachineSchema = resourceSchema('VirtualMachine', VirtualMachineSpecSchema, VirtualMachineStatusSchema);
export type VirtualMachine = z.infer<typeof VirtualMachineSchema>;

/** vCPUs = sockets * cores * threads (each defaults to 1). */
export function vcpuCount(cpu: { cores: number; sockets?: number; threads?: number }): number {
  return (cpu.sockets ?? 1) * cpu.cores * (cpu.threads ?? 1);
}
