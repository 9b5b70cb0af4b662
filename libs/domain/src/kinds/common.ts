/**
 * Field schemas shared by the kinds. Each format check fails with a stable HVS code as its
 * zod message; validation/problems.ts turns (code, path, value) into the full
 * what/why/fix Problem. Keeping the code in the schema means a schema and its error can
 * never drift apart.
 */
import { z } from 'zod';
import { cronFault } from '../formats/cron';
import {
  absolutePathFault,
  isCidr,
  isCpuset,
  isInterfaceName,
  isIp,
  isMac,
  isName,
  isPciAddress,
  isPortSpec,
  isSha256,
  isSha512,
  isVendorDevice,
  relativePathFault,
  urlFault,
} from '../formats/formats';
import { tryParseDuration, tryParseSize } from '../units';
import { isLabelKey, isLabelValue } from '../labels/selector';

/** A DNS-label name (metadata.name or a reference to another object). */
export const NameSchema = z.string().refine(isName, { error: 'HVS-NAME-INVALID' });

export const LabelsSchema = z
  .record(z.string().refine(isLabelKey, { error: 'HVS-LABEL-INVALID' }), z.string().refine(isLabelValue, { error: 'HVS-LABEL-INVALID' }))
  .refine((r) => Object.keys(r).length <= 64, { error: 'HVS-LABEL-INVALID' });

export const AnnotationsSchema = z
  .record(z.string().refine(isLabelKey, { error: 'HVS-ANNOTATION-INVALID' }), z.string().max(65536, { error: 'HVS-ANNOTATION-INVALID' }))
  .refine((r) => Object.keys(r).length <= 128, { error: 'HVS-ANNOTATION-INVALID' });

/** A positive size with a binary unit (`4GiB`). */
export const SizeSchema = z.string().refine((v) => (tryParseSize(v) ?? 0) > 0, { error: 'HVS-SIZE-INVALID' });
export const DurationSchema = z.string().refine((v) => tryParseDuration(v) !== undefined, { error: 'HVS-DURATION-INVALID' });
export const MacSchema = z.string().refine(isMac, { error: 'HVS-MAC-INVALID' });
export const PciAddressSchema = z.string().refine(isPciAddress, { error: 'HVS-PCI-ADDRESS-INVALID' });
export const VendorDeviceSchema = z.string().refine(isVendorDevice, { error: 'HVS-PCI-ID-INVALID' });
export const CidrSchema = z.string().refine(isCidr, { error: 'HVS-CIDR-INVALID' });
export const IpSchema = z.string().refine(isIp, { error: 'HVS-IP-INVALID' });
export const PortSchema = z.union([z.number(), z.string()]).refine(isPortSpec, { error: 'HVS-PORT-INVALID' });
export const CronSchema = z.string().refine((v) => cronFault(v) === undefined, { error: 'HVS-CRON-INVALID' });
export const CpusetSchema = z.string().refine(isCpuset, { error: 'HVS-CPUSET-INVALID' });
export const Sha256Schema = z.string().refine(isSha256, { error: 'HVS-IMAGE-SHA256-INVALID' });
export const Sha512Schema = z.string().refine(isSha512, { error: 'HVS-IMAGE-SHA512-INVALID' });
export const InterfaceNameSchema = z.string().refine(isInterfaceName, { error: 'HVS-INTERFACE-NAME-INVALID' });
export const UrlSchema = z.string().refine((v) => urlFault(v) === undefined, { error: 'HVS-URL-INVALID' });

/** A path inside a storage pool: cannot escape it. */
export const PoolPathSchema = z
  .string()
  .refine((v) => {
    const f = relativePathFault(v);
    return f !== 'absolute' && f !== 'dotdot';
  }, { error: 'HVS-PATH-ESCAPES-POOL', abort: true })
  .refine((v) => relativePathFault(v) === undefined, { error: 'HVS-PATH-INVALID' });

/** An absolute host path (pool root, backup directory). */
export const HostPathSchema = z.string().refine((v) => absolutePathFault(v) === undefined, { error: 'HVS-PATH-INVALID' });

/** Short free text that ends up in XML, nft comments or tables: bounded, no control chars. */
export const TextSchema = (max: number) =>
  // eslint-disable-next-line no-control-regex
  z.string().max(max, { error: 'HVS-TEXT-INVALID' }).refine((v) => !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(v), { error: 'HVS-TEXT-INVALID' });

export const CountSchema = (min: number, max: number, code = 'HVS-NUMBER-INVALID') =>
  z.number().int({ error: code }).min(min, { error: code }).max(max, { error: code });
