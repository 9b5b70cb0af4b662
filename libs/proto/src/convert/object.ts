import { HvsError } from '@hvs/domain';
import type { ApiObject as ProtoObject } from '../gen/hvs/v1/object.js';
import { API_VERSION, isKindName, KIND_NAMES, type KindName, type Resource } from './domain-types.js';
import { fromProtoMeta, toProtoMeta } from './meta.js';

/** Any kind, spec and status not yet validated: check them with the domain's schema for `kind`. */
export type UnvalidatedResource = Resource<KindName, unknown, unknown>;

/**
 * Domain resource -> envelope. spec and status are serialised with
 * JSON.stringify, so key order is the object's own; a missing status is ''.
 */
export function toProtoObject(resource: Resource<string, unknown, unknown>): ProtoObject {
  return {
    apiVersion: resource.apiVersion,
    kind: resource.kind,
    metadata: toProtoMeta(resource.metadata),
    specJson: JSON.stringify(resource.spec ?? {}),
    statusJson: resource.status === undefined ? '' : JSON.stringify(resource.status),
  };
}

/**
 * Envelope -> domain resource. Checks only the envelope (apiVersion, known
 * kind, metadata present, spec/status are JSON objects); the kind's own
 * schema is the caller's job. Throws HvsError (InvalidArgument) naming the field.
 */
export function fromProtoObject(msg: ProtoObject): UnvalidatedResource {
  const where = `${msg.kind || '<no kind>'}/${msg.metadata?.name || '<no name>'}`;
  if (msg.apiVersion !== API_VERSION) {
    throw envelopeError('HVS-PROTO-APIVERSION-UNSUPPORTED', 'apiVersion', `${where}: apiVersion "${msg.apiVersion}" is not supported`,
      `this server and client speak ${API_VERSION} only`, `set apiVersion: ${API_VERSION}`);
  }
  if (!isKindName(msg.kind)) {
    throw envelopeError('HVS-PROTO-KIND-UNKNOWN', 'kind', `${where}: kind "${msg.kind}" is unknown`,
      `the known kinds are ${KIND_NAMES.join(', ')}`, 'use one of the known kinds (names are case-sensitive)');
  }
  if (msg.metadata === undefined) {
    throw envelopeError('HVS-PROTO-METADATA-MISSING', 'metadata', `${where}: metadata is missing`,
      'every object needs at least metadata.name', 'send metadata with a name');
  }
  const resource: UnvalidatedResource = {
    apiVersion: API_VERSION,
    kind: msg.kind,
    metadata: fromProtoMeta(msg.metadata),
    spec: parseJsonObject(msg.specJson, 'spec', where),
  };
  if (msg.statusJson !== '') resource.status = parseJsonObject(msg.statusJson, 'status', where);
  return resource;
}

function parseJsonObject(text: string, field: 'spec' | 'status', where: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw envelopeError('HVS-PROTO-JSON-INVALID', field, `${where}: ${field}_json is not valid JSON`,
      (e as Error).message, `send ${field} as JSON object text (JSON.stringify of the ${field} object)`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw envelopeError('HVS-PROTO-JSON-INVALID', field, `${where}: ${field}_json is not a JSON object`,
      `${field} must be an object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
      `send ${field} as a JSON object ({...})`);
  }
  return value as Record<string, unknown>;
}

function envelopeError(code: string, path: string, message: string, why: string, fix: string): HvsError {
  return new HvsError({ code, category: 'InvalidArgument', path, message, why, fix });
}
