/**
 * The gRPC side of the fuzz suite's inputs. Methods come from libs/proto's generated service
 * definitions (every `v1.*ServiceService`, so a new service or method is fuzzed without a test
 * change); the shape of each request message comes from the same .proto files, read through
 * proto-loader's descriptors, so random *valid* messages reach the handlers. Garbage is built
 * at the wire level: random bytes, truncated or bit-flipped valid messages, and protobuf that is
 * well-formed enough to get far into a parser (huge lengths, deep groups, overlong varints).
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import { v1 } from '@hvs/proto';
import fc from 'fast-check';
import { anyManifestTextArb, KINDS, manifestObjectArb, nameArb } from '../../../../test/harness/fuzz-inputs';
import { publicApiDescriptors } from '../../src/api/grpc/grpc-server';

export interface FuzzMethod {
  /** `/hvs.v1.ResourceService/Apply` */
  path: string;
  responseStream: boolean;
  /** Encodes a plain object (proto field names) as the request message. */
  encode(request: Record<string, unknown>): Buffer;
  /** Random valid requests of this method. */
  requests: fc.Arbitrary<Record<string, unknown>>;
}

interface FieldDescriptor {
  name: string;
  label: string;
  type: string;
  typeName: string;
}
interface MessageDescriptor {
  field: FieldDescriptor[];
}
type Descriptors = Record<string, { type?: unknown; format?: string } & Record<string, unknown>>;

const MAX_DEPTH = 3;

/** Every method of every hvs.v1 service the generated code defines. */
export function fuzzMethods(): FuzzMethod[] {
  const descriptors = publicApiDescriptors() as unknown as Descriptors;
  const services = Object.entries(v1).filter(([name, value]) => name.endsWith('ServiceService') && typeof value === 'object') as [string, ServiceDefinition][];
  if (services.length === 0) throw new Error('no hvs.v1 service definitions found in @hvs/proto');
  return services.flatMap(([, def]) => Object.values(def).map((m) => {
    const [, serviceName, methodName] = /^\/(.+)\/([^/]+)$/.exec(m.path) ?? [];
    const loaded = (descriptors[serviceName ?? ''] as Record<string, { requestSerialize(v: unknown): Buffer; requestType: { type: MessageDescriptor } }> | undefined)?.[methodName ?? ''];
    if (!loaded) throw new Error(`${m.path}: the generated code defines it but the .proto files (proto-loader) do not`);
    const pkg = serviceName!.slice(0, serviceName!.lastIndexOf('.'));
    return { path: m.path, responseStream: m.responseStream, encode: (r) => loaded.requestSerialize(r), requests: messageArb(descriptors, pkg, loaded.requestType.type, 0) };
  }));
}

function resolve(descriptors: Descriptors, pkg: string, typeName: string): { type?: unknown; format?: string } | undefined {
  const name = typeName.replace(/^\./, '');
  return descriptors[`${pkg}.${name}`] ?? descriptors[name];
}

function messageArb(descriptors: Descriptors, pkg: string, type: MessageDescriptor, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of type.field) {
    const one = fieldArb(descriptors, pkg, f, depth);
    if (one) fields[f.name] = f.label === 'LABEL_REPEATED' ? fc.array(one, { maxLength: 3 }) : one;
  }
  return fc.record(fields, { requiredKeys: [] });
}

/** Strings by what the field holds, so the service gets past its first checks often. */
function stringArb(field: string): fc.Arbitrary<string> {
  const generic = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 }));
  if (/json/.test(field)) return fc.oneof({ weight: 3, arbitrary: manifestObjectArb.map((m) => JSON.stringify(m)) }, { weight: 2, arbitrary: anyManifestTextArb }, generic);
  if (field === 'kind') return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...KINDS) }, generic);
  if (/selector/.test(field)) return fc.oneof(fc.constantFrom('app=web', 'app in (web,db)', 'tier!=back', '!x', 'a=b,', '((', '='), generic);
  if (/name|node|source|manager|id$/.test(field)) return fc.oneof({ weight: 4, arbitrary: nameArb }, generic);
  if (/version|since|continue/.test(field)) return fc.oneof(fc.constantFrom('0', '1', '-1', '999999999999', '2026-01-01T00:00:00Z'), generic);
  return generic;
}

function fieldArb(descriptors: Descriptors, pkg: string, f: FieldDescriptor, depth: number): fc.Arbitrary<unknown> | undefined {
  switch (f.type) {
    case 'TYPE_STRING': return stringArb(f.name);
    case 'TYPE_BOOL': return fc.boolean();
    case 'TYPE_BYTES': return fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b));
    case 'TYPE_DOUBLE': case 'TYPE_FLOAT': return fc.double();
    case 'TYPE_INT32': case 'TYPE_SINT32': case 'TYPE_SFIXED32': return fc.oneof(fc.integer({ min: -2, max: 100_000 }), fc.integer());
    case 'TYPE_UINT32': case 'TYPE_FIXED32': return fc.oneof(fc.nat({ max: 100_000 }), fc.nat());
    case 'TYPE_INT64': case 'TYPE_SINT64': case 'TYPE_SFIXED64': case 'TYPE_UINT64': case 'TYPE_FIXED64':
      return fc.oneof(fc.nat({ max: 100_000 }), fc.constantFrom('9223372036854775807', '-9223372036854775808', '9007199254740993'));
    case 'TYPE_ENUM': return fc.integer({ min: -1, max: 12 });
    case 'TYPE_MESSAGE': {
      const nested = resolve(descriptors, pkg, f.typeName)?.type as MessageDescriptor | undefined;
      if (!nested || depth >= MAX_DEPTH) return undefined;
      return messageArb(descriptors, pkg, nested, depth + 1);
    }
    default: return undefined;
  }
}

/** A varint of `n` (n < 2^53). */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/** Wire-level garbage, some derived from a valid request `valid`. */
export function garbageArb(valid: Buffer): fc.Arbitrary<Buffer> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
    fc.nat().map((n) => valid.subarray(0, valid.length === 0 ? 0 : n % valid.length)),
    fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([at, bit]) => {
      const b = Buffer.from(valid.length === 0 ? [0] : valid);
      b[at % b.length]! ^= 1 << bit;
      return b;
    }),
    fc.uint8Array({ minLength: 1, maxLength: 32 }).map((tail) => Buffer.concat([valid, Buffer.from(tail)])),
    // Field 1, length-delimited, claiming far more bytes than follow.
    fc.integer({ min: 1, max: 2 ** 40 }).map((len) => Buffer.from([0x0a, ...varint(len), 0x41])),
    // Nested start-group tags (wire type 3): recursion in a parser that skips groups.
    fc.integer({ min: 1, max: 100_000 }).map((n) => Buffer.alloc(n, 0x0b)),
    // An overlong varint, an end-group without a start, field number 0, wire types 6 and 7.
    fc.constantFrom(Buffer.from(Array(11).fill(0xff)), Buffer.from([0x0c]), Buffer.from([0x00, 0x01]), Buffer.from([0x0e, 0x01]), Buffer.from([0x0f])),
    // Field 1 nested as a message inside itself, deeper than any parser's stack.
    fc.integer({ min: 10, max: 3_000 }).map((n) => {
      let b = Buffer.alloc(0);
      for (let i = 0; i < n; i++) b = Buffer.concat([Buffer.from([0x0a, ...varint(b.length)]), b]);
      return b;
    }),
  );
}
