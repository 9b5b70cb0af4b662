/**
 * The validation codes: one entry per stable code, with what it means, why the rule exists
 * and how to fix it. docs/architecture/resource-model.md carries the same table (a test
 * keeps the two in step). `fix` may use the offending value to make a concrete suggestion.
 */
import { cronFault } from '../formats/cron';
import { cidrNetworkHint, suggestName } from '../formats/formats';
import { sizeHint } from '../units';

export interface CodeInfo {
  /** What is wrong, as a predicate on the value: `is not a valid name`. */
  what: string;
  why: string;
  fix: string | ((value: unknown) => string);
}

const NAME_WHY = "names must be DNS labels (lowercase letters, digits and '-', start and end alphanumeric, at most 63 characters)";
const nameFix = (v: unknown) => `use e.g. "${typeof v === 'string' ? suggestName(v) : 'web-1'}"`;

export const CODES: Record<string, CodeInfo> = {
  // names and metadata
  'HVS-NAME-INVALID': { what: 'is not a valid name', why: NAME_WHY, fix: nameFix },
  'HVS-LABEL-INVALID': {
    what: 'is not a valid label',
    why: "label keys are [prefix/]name and values are empty or up to 63 of letters, digits, '-', '_', '.', alphanumeric at both ends; at most 64 labels",
    fix: 'use e.g. app: web or hvs.io/tier: frontend',
  },
  'HVS-ANNOTATION-INVALID': {
    what: 'is not a valid annotation',
    why: 'annotation keys follow the label key rules; values are at most 64 KiB; at most 128 annotations',
    fix: 'shorten the value or move large data out of the annotation',
  },
  // envelope
  'HVS-APIVERSION-UNSUPPORTED': { what: 'is not a supported apiVersion', why: 'this server speaks hvs/v1 only', fix: 'set apiVersion: hvs/v1' },
  'HVS-KIND-UNKNOWN': {
    what: 'is not a known kind',
    why: 'kinds are VirtualMachine, Node, Network, FirewallPolicy, Image, StoragePool, BackupPolicy, Backup, Snapshot, Migration, Secret',
    fix: 'set kind to one of them (spelled exactly, e.g. kind: VirtualMachine)',
  },
  'HVS-DOCUMENT-NOT-OBJECT': { what: 'is not an object', why: 'every document must be a mapping with apiVersion, kind, metadata and spec', fix: 'write the document as a mapping (key: value lines), or remove it' },
  'HVS-DOCUMENT-TOO-DEEP': { what: 'is nested too deeply', why: 'no valid resource nests more than 32 levels; deeper input is refused to bound work', fix: 'flatten the document; check for a generated or corrupted file' },
  'HVS-DOCUMENT-TOO-LARGE': { what: 'has too many values', why: 'a document may hold at most 100000 values', fix: 'split the document into several objects' },
  'HVS-KEY-FORBIDDEN': {
    what: 'is a forbidden key',
    why: '__proto__, constructor and prototype are refused as keys anywhere: they can alter object prototypes in consumers',
    fix: 'remove the key or rename it',
  },
  // generic field shape
  'HVS-FIELD-UNKNOWN': { what: 'is not a known field', why: 'unknown fields are refused so that a typo never silently does nothing', fix: 'remove the field or correct its spelling' },
  'HVS-FIELD-REQUIRED': { what: 'is required', why: 'this field has no default', fix: 'add the field' },
  'HVS-FIELD-TYPE': { what: 'has the wrong type', why: 'the field expects another type', fix: 'give a value of the expected type (quote strings that look like numbers)' },
  'HVS-FIELD-ENUM': { what: 'is not one of the allowed values', why: 'the field accepts a fixed set of values', fix: 'use one of the allowed values (spelling and case matter)' },
  'HVS-FIELD-LENGTH': { what: 'has too many or too few entries or characters', why: 'fields are bounded so one object cannot exhaust the system', fix: 'stay within the limit' },
  'HVS-FIELD-INVALID': { what: 'is invalid', why: 'the value does not satisfy the schema', fix: 'see docs/architecture/resource-model.md for the field' },
  'HVS-NUMBER-INVALID': { what: 'is out of range', why: 'the field accepts whole numbers within a range', fix: 'use a whole number within the documented range' },
  'HVS-TEXT-INVALID': { what: 'is not acceptable text', why: 'free text is bounded in length and may not contain control characters (other than tab and newline)', fix: 'shorten it and remove control characters' },
  // formats
  'HVS-SIZE-INVALID': {
    what: 'is not a valid size',
    why: 'sizes are a positive number with a binary unit: B, KiB, MiB, GiB, TiB or PiB (G/GB are refused rather than guessed)',
    fix: (v) => `write e.g. "${typeof v === 'string' ? sizeHint(v) : '4GiB'}"`,
  },
  'HVS-DURATION-INVALID': { what: 'is not a valid duration', why: 'durations are whole milliseconds written with units ms, s, m, h, d (e.g. 1h30m)', fix: 'write e.g. "300ms" or "2s"' },
  'HVS-MAC-INVALID': {
    what: 'is not a valid MAC address',
    why: 'a MAC is six colon-separated hex octets, unicast (lowest bit of the first octet clear) and not all zero',
    fix: 'use e.g. "52:54:00:12:34:56", or omit mac to get a stable generated one',
  },
  'HVS-PCI-ADDRESS-INVALID': { what: 'is not a valid PCI address', why: 'PCI addresses are domain:bus:slot.function in lowercase hex, e.g. 0000:01:00.0', fix: 'copy the address from `lspci -D` (e.g. "0000:01:00.0")' },
  'HVS-PCI-ID-INVALID': { what: 'is not a valid PCI vendor:device id', why: 'ids are two 4-digit lowercase hex numbers, e.g. 10de:2204', fix: 'copy it from `lspci -nn` (the [vvvv:dddd] part)' },
  'HVS-CIDR-INVALID': {
    what: 'is not a valid CIDR',
    why: 'a CIDR is an IPv4 or IPv6 network address and a prefix length (host bits zero), e.g. 10.0.0.0/24 or fd00::/64',
    fix: (v) => {
      const hint = typeof v === 'string' ? cidrNetworkHint(v) : undefined;
      return hint && hint !== v ? `use the network address "${hint}"` : 'write e.g. "10.0.0.0/24" or "fd00::/64"';
    },
  },
  'HVS-IP-INVALID': { what: 'is not a valid IP address', why: 'expected an IPv4 (dotted, no leading zeros) or IPv6 address', fix: 'write e.g. "10.0.0.1" or "fd00::1"' },
  'HVS-PORT-INVALID': { what: 'is not a valid port', why: 'ports are 1-65535, as a number or a string range "low-high" with low <= high', fix: 'write e.g. 443 or "8000-8080"' },
  'HVS-CRON-INVALID': {
    what: 'is not a valid cron schedule',
    why: 'schedules are 5 fields: minute hour day-of-month month day-of-week (or @daily, @hourly, ...)',
    fix: (v) => `${typeof v === 'string' && cronFault(v) ? `${cronFault(v)}; ` : ''}write e.g. "0 2 * * *" (02:00 every day)`,
  },
  'HVS-CPUSET-INVALID': { what: 'is not a valid CPU set', why: 'CPU sets list ids and ranges below 4096, e.g. 2-3,6', fix: 'write e.g. "2-3,6"' },
  'HVS-IMAGE-SHA256-INVALID': {
    what: 'is not a valid sha256',
    why: 'every image is verified against its sha256: 64 hexadecimal characters',
    fix: 'run `sha256sum FILE` on the image and paste the 64-character hash',
  },
  'HVS-IMAGE-SHA512-INVALID': {
    what: 'is not a valid sha512',
    why: 'a sha512 digest is 128 hexadecimal characters',
    fix: 'run `sha512sum FILE` on the image (or copy the line from the distribution\'s SHA512SUMS) and paste the 128-character hash',
  },
  'HVS-INTERFACE-NAME-INVALID': { what: 'is not a valid interface name', why: "Linux interface names are 1-15 of letters, digits, '_', '.', '-'", fix: 'use the bridge name shown by `ip link`, e.g. "br0"' },
  'HVS-URL-INVALID': { what: 'is not a valid URL', why: 'URLs must be http(s) and carry no user name or password (those would be logged)', fix: 'use e.g. "https://example.org/image.qcow2"; put credentials in a secret' },
  'HVS-PATH-ESCAPES-POOL': {
    what: 'escapes its storage pool',
    why: "disk and ISO paths are relative to their pool: no leading '/', no '..' segment",
    fix: 'give the path relative to the pool root, e.g. "isos/debian.iso"',
  },
  'HVS-PATH-INVALID': { what: 'is not a valid path', why: "paths may not be empty or contain NUL, control characters, empty or '.' segments; host paths must be absolute without '..'", fix: 'write a clean path, e.g. "vms/web-1.qcow2" (pool-relative) or "/var/lib/hvs/pool" (host)' },
  // VirtualMachine
  'HVS-CPU-INVALID': { what: 'is not a valid CPU count', why: 'cores, sockets and threads are whole numbers >= 1 and sockets*cores*threads is at most 512', fix: 'use e.g. cores: 4' },
  'HVS-CPU-MODEL-INVALID': { what: 'is not a valid CPU model', why: "models are host-passthrough, host-model or a libvirt model name (letters, digits, '_', '.', '+', '-')", fix: 'use "host-passthrough" or a name from `virsh cpu-models x86_64`' },
  'HVS-VM-PINNING-INVALID': { what: 'is not a valid pinning', why: 'each pinned vcpu must exist (0 <= vcpu < vCPU count) and be pinned once', fix: 'pin vcpus 0..N-1 once each' },
  'HVS-VM-NUMA-INVALID': { what: 'is not a valid NUMA layout', why: 'cell ids are unique, cell cpus are vcpus that exist, each vcpu is in at most one cell, and cell memory adds up to memory.size', fix: 'make the cells partition the vcpus and memory.size' },
  'HVS-VM-HUGEPAGES-MISALIGNED': { what: 'is not a multiple of the huge page size', why: 'guest memory backed by huge pages must be a whole number of pages', fix: 'round memory.size to a multiple of hugepages.pageSize' },
  'HVS-VM-BOOT-ORDER-INVALID': { what: 'is not a valid boot order', why: 'boot orders are unique whole numbers from 1', fix: 'number bootable disks 1, 2, ...' },
  'HVS-VM-CLOUDINIT-TOO-LARGE': { what: 'is too large', why: 'cloud-init userData is at most 256 KiB and networkConfig at most 64 KiB', fix: 'move large files into an image or fetch them from the guest' },
  'HVS-VM-CLOUDINIT-USER-INVALID': { what: 'is not a valid cloud-init user', why: 'user and group names are 1-32 of a-z, 0-9, _ and - starting with a letter or _; shells are absolute paths', fix: 'use e.g. name: debian, shell: /bin/bash' },
  'HVS-VM-CLOUDINIT-PACKAGE-INVALID': { what: 'is not a valid package name', why: 'Debian package names are lower-case letters, digits, +, . and -', fix: 'use the name `apt-cache search` shows, e.g. "nginx"' },
  'HVS-VM-CLOUDINIT-CONFLICT': { what: 'mixes raw userData with structured fields', why: 'userData replaces the whole user-data document; users, sshAuthorizedKeys, packages and runcmd would be silently dropped', fix: 'put everything into userData, or use only the structured fields' },
  'HVS-VM-SSH-KEY-INVALID': { what: 'is not an OpenSSH public key', why: 'each entry is one line as in ~/.ssh/id_ed25519.pub: type, base64 key, optional comment', fix: 'paste the content of a .pub file, e.g. "ssh-ed25519 AAAAC3Nza... you@host"' },
  'HVS-VM-NIC-IP-INVALID': { what: 'is not a usable address for this NIC', why: 'a wanted address must be an IPv4 address; static addressing needs one reserved on a Network with a subnet', fix: 'give an address inside the Network\'s subnet, or leave ip out and let the controller reserve one' },
  'HVS-VM-DISK-DUPLICATE': { what: 'is used by more than one disk', why: 'disk names identify volumes and must be unique within a VM', fix: 'rename one of the disks' },
  'HVS-VM-NIC-DUPLICATE': { what: 'is used by more than one network interface', why: 'NIC names must be unique within a VM', fix: 'rename one of the interfaces' },
  'HVS-VM-MAC-DUPLICATE': { what: 'is used by more than one network interface', why: 'two NICs with one MAC break networking', fix: 'give each NIC its own MAC or omit mac' },
  'HVS-VM-HOSTDEV-DUPLICATE': { what: 'is named twice', why: 'host device names and PCI addresses must be unique within a VM', fix: 'remove or rename the duplicate host device' },
  'HVS-VM-HOSTDEV-UNSPECIFIED': { what: 'names no device', why: 'a host device needs a pciAddress or a vendorDevice to be found on the node', fix: 'add pciAddress (e.g. "0000:01:00.0") or vendorDevice (e.g. "10de:2204")' },
  'HVS-VM-DISK-SOURCE-MISSING': { what: 'has no size, image or path', why: 'a disk is created empty (size), cloned from an image, or attached from a path', fix: 'add size (e.g. "20GiB"), image or path' },
  'HVS-VM-CDROM-SOURCE-MISSING': { what: 'has no image or path', why: 'a cdrom shows an ISO from an Image or a pool path', fix: 'add image or path, or remove cdrom' },
  'HVS-VM-SECUREBOOT-REQUIRES-UEFI': { what: 'asks for secure boot without UEFI', why: 'secure boot is a UEFI feature', fix: 'set firmware.type: uefi, or remove secureBoot' },
  'HVS-VM-DEPENDS-ON-SELF': { what: 'names the VM itself', why: 'a VM cannot wait for itself to start', fix: 'remove the VM from its own dependsOn' },
  'HVS-VM-BOOT-PATH-INVALID': {
    what: 'is not a valid kernel or initrd path',
    why: "kernel and initrd are files inside a storage pool, given relative to its root (no leading '/', no '..', '.' or empty segment, no control characters), so a VM only boots what an operator put into a pool and never reads an arbitrary host file",
    fix: 'copy the file into a pool (default: "default") and give its path relative to the pool root, e.g. "kernels/vmlinuz-6.1"',
  },
  'HVS-VM-BOOT-CMDLINE-INVALID': { what: 'is not a valid kernel command line', why: 'the command line is at most 2048 bytes (the x86 kernel limit) without control characters', fix: 'shorten it to one line of at most 2048 bytes, e.g. "console=ttyS0 root=/dev/vda1"' },
  // Node
  'HVS-NODE-ADDRESS-INVALID': { what: 'is not a valid node address', why: 'addresses are host:port or [ipv6]:port', fix: 'write e.g. "10.0.0.5:7443"' },
  'HVS-NODE-OVERCOMMIT-INVALID': { what: 'is not a valid overcommit ratio', why: 'cpu ratio is 0.1-64, memory ratio 0.1-4', fix: 'use e.g. cpu: 4, memory: 1.0' },
  // Network
  'HVS-VALUE-REDACTED': { what: 'is the redaction marker "(redacted)", not a value', why: 'reads show Secret values and cloud-init as "(redacted)"; applying that back would replace the real value with the marker', fix: 'put the real value in the manifest (`hvctl get ... --reveal` shows it to a role with secrets.reveal), or leave the field out of the edit' },
  'HVS-SECRET-KEY-INVALID': { what: 'is not a valid secret key', why: "secret keys are 1-253 of letters, digits, '-', '_', '.' (not '.' or '..'): they may become file names", fix: 'rename the key, e.g. "db-password"' },
  'HVS-SECRET-KEYS-COUNT': { what: 'has no keys or too many', why: 'a Secret holds 1 to 64 keys', fix: 'split it into several Secrets, or add at least one key' },
  'HVS-SECRET-TOO-LARGE': { what: 'is too large', why: 'the values of one Secret are at most 64 KiB in all (they are encrypted into one etcd value)', fix: 'split it into several Secrets' },
  'HVS-NET-VLAN-INVALID': { what: 'is not a valid VLAN id', why: 'VLAN ids are 1-4094', fix: 'use a VLAN id from 1 to 4094, or omit vlan' },
  'HVS-NET-BRIDGE-REQUIRED': { what: 'needs a bridge', why: 'mode bridge attaches VMs to an existing host bridge', fix: 'set bridge (e.g. "br0") or use mode nat/isolated' },
  'HVS-NET-GATEWAY-OUTSIDE-SUBNET': { what: 'is outside the subnet', why: 'the gateway must be an address of the subnet', fix: 'pick a gateway inside subnet (e.g. its first address)' },
  'HVS-NET-MTU-INVALID': { what: 'is not a valid MTU', why: 'MTUs are 576-9000 bytes', fix: 'use 1500 (1450 for vxlan), or 9000 on a jumbo-frame uplink' },
  'HVS-NET-VXLAN-INVALID': { what: 'is not a valid VXLAN setting', why: 'mode vxlan needs vxlan.vni (1-16777215), and only mode vxlan takes vxlan', fix: 'set vxlan: {vni: 100} with mode: vxlan, or remove vxlan' },
  'HVS-NET-SUBNET-REQUIRED': { what: 'needs a subnet', why: 'nat, isolated and vxlan Networks hand out addresses (DHCP, IPAM) from their subnet', fix: 'set subnet (e.g. "10.88.0.0/24") and gateway' },
  'HVS-NET-MODE-FIELD': { what: 'does not apply to this mode', why: 'bridge mode joins an existing bridge (no subnet, DHCP or port forwards of ours); port forwards need nat; only bridge mode names a bridge', fix: 'remove the field, or change the mode' },
  'HVS-NET-DHCP-INVALID': { what: 'is not a valid DHCP range', why: 'a DHCP range needs a subnet, both ends inside it and start <= end', fix: 'set subnet and a range inside it, e.g. 10.0.0.100 - 10.0.0.200' },
  // FirewallPolicy
  'HVS-FWP-PORTS-NEED-PROTOCOL': { what: 'lists ports without tcp or udp', why: 'ports only mean something for tcp and udp', fix: 'set protocol: tcp or udp, or remove ports' },
  // Image, StoragePool, BackupPolicy
  'HVS-IMAGE-DIGEST-MISSING': { what: 'has no digest', why: 'every image is verified before a VM uses it: give sha256 or sha512 (as the distribution publishes it), or opt into trust on first download with allowUnverified: true', fix: 'add sha256: <64 hex> (sha256sum FILE) or sha512: <128 hex>' },
  'HVS-IMAGE-DIGEST-CONFLICT': { what: 'gives more than one digest, or a digest with allowUnverified', why: 'one expected digest is checked; allowUnverified means none is known yet', fix: 'keep one of sha256/sha512, or drop allowUnverified' },
  'HVS-IMAGE-SOURCE-MISSING': { what: 'has no source', why: 'an image comes from a URL or an upload', fix: 'set source.url or source.upload: true' },
  'HVS-POOL-PATH-REQUIRED': { what: 'needs a path', why: 'dir pools need their directory and nfs pools their mount point', fix: 'set path, e.g. "/var/lib/hvs/images"' },
  'HVS-POOL-SOURCE-REQUIRED': { what: 'needs a source', why: 'lvm-thin needs vg/thinpool, zfs needs pool/dataset, nfs needs host:/export', fix: 'set source' },
  'HVS-POOL-SOURCE-INVALID': { what: 'is not a valid pool source', why: "sources contain letters, digits and . _ - / : [ ] @ only", fix: 'write e.g. "vg0/thin" or "nas:/export/vms"' },
  'HVS-BACKUP-RETENTION-INVALID': { what: 'is not a valid retention', why: 'keep counts are whole numbers 0-10000 and at least one of them is above 0', fix: 'set e.g. keepLast: 7' },
  'HVS-BACKUP-TARGET-INCOMPLETE': { what: 'is incomplete', why: 'local and nfs targets need path; s3 targets need bucket', fix: 'add the missing field' },
  'HVS-BACKUP-BUCKET-INVALID': { what: 'is not a valid bucket name', why: 'S3 bucket names are 3-63 lowercase letters, digits, dots and hyphens', fix: 'use the bucket name as shown by your S3 provider' },
  // batches and manifests
  'HVS-BATCH-DUPLICATE-NAME': { what: 'appears more than once in the batch', why: 'one apply may name each kind/name once; a second copy would silently win', fix: 'remove or rename one of the documents' },
  'HVS-MANIFEST-SYNTAX': { what: 'is not valid YAML/JSON', why: 'the parser could not read it', fix: 'fix the syntax at the line shown (check indentation and quoting)' },
  'HVS-MANIFEST-DUPLICATE-KEY': { what: 'repeats a key', why: 'a repeated key would silently override the first', fix: 'keep one of the keys' },
  'HVS-MANIFEST-ALIAS-LIMIT': {
    what: 'uses too many YAML aliases',
    why: 'alias expansion is capped (at most 100 aliases and 100000 values after expansion) to refuse billion-laughs input',
    fix: 'write the values out instead of aliasing them',
  },
  'HVS-MANIFEST-TAG-UNSUPPORTED': { what: 'uses an unsupported YAML tag', why: 'only plain YAML values are accepted (no !!binary, !!js/..., custom tags)', fix: 'remove the tag' },
  'HVS-MANIFEST-DOCUMENT-TOO-LARGE': { what: 'is larger than 1 MiB', why: 'one document is at most 1 MiB', fix: 'split it, or move large data (e.g. cloud-init files) out of the manifest' },
  'HVS-MANIFEST-TOO-LARGE': { what: 'is larger than 8 MiB', why: 'one input is at most 8 MiB', fix: 'split it into several files' },
  'HVS-MANIFEST-LIST-INVALID': { what: 'is not a valid List', why: 'kind: List needs items: an array of resources', fix: 'put the resources under items:' },
};

/** The metadata.name code for a kind's area: HVS-VM-NAME-INVALID, HVS-NET-NAME-INVALID, ... */
export function nameCodeFor(area: string): string {
  return `HVS-${area}-NAME-INVALID`;
}

/** Info for a code, including the per-kind NAME codes. */
export function codeInfo(code: string): CodeInfo {
  const direct = CODES[code];
  if (direct) return direct;
  if (/^HVS-[A-Z]+-NAME-INVALID$/.test(code)) return CODES['HVS-NAME-INVALID']!;
  return CODES['HVS-FIELD-INVALID']!;
}
