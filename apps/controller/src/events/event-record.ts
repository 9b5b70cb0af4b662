/**
 * One event: something that happened to an object (Kubernetes-style: type, CamelCase reason,
 * message, who reported it). Stored at `/hvs/v1/events/<kind lowercased>/<name>/<id>`, one key
 * per event, bound to an etcd lease so it expires on its own (events are not kept forever).
 * Identical consecutive events of one object are folded into one key: `count` and `time`
 * (the latest occurrence) move, `firstTime` stays.
 */
import { randomBytes } from 'node:crypto';
import { HvsError } from '@hvs/domain';
import { KEY_ROOT, objectKey } from '../store/objects';

export type EventType = 'Normal' | 'Warning';

/** What a reporter gives `EventRecorder.record`. */
export interface EventInput {
  /** The object's kind, e.g. VirtualMachine, Node. */
  kind: string;
  name: string;
  uid?: string;
  type: EventType;
  /** CamelCase, e.g. Bound, FailedScheduling, Started, Crashed, NodeNotReady. */
  reason: string;
  /** For people; truncated to MAX_MESSAGE_CHARS. Never put secrets here. */
  message: string;
  /** Who saw it: `controller/scheduler`, `controller/node-lifecycle`, `agent/<node>`. */
  source: string;
  /** The node it happened on, when there is one. */
  node?: string;
  /** RFC 3339 time of the occurrence (the reporter's clock); default: the recorder's now. */
  time?: string;
}

/** The stored value. */
export interface EventRecord {
  /** RFC 3339, the latest occurrence. */
  time: string;
  /** RFC 3339, the first occurrence folded into this record. */
  firstTime: string;
  count: number;
  kind: string;
  name: string;
  uid: string;
  type: EventType;
  reason: string;
  message: string;
  source: string;
  node: string;
}

/** A record as read back: its key's id and etcd mod_revision. */
export interface StoredEvent extends EventRecord {
  id: string;
  resourceVersion: string;
}

export const EVENTS_PREFIX = `${KEY_ROOT}events/`;
export const MAX_MESSAGE_CHARS = 1024;
const REASON = /^[A-Z][A-Za-z0-9]{0,127}$/;

/** `virtualmachine/web-1`: the object's key below the root; validates kind and name. */
export function objectSegment(kind: string, name: string): string {
  return objectKey(kind, name).slice(KEY_ROOT.length);
}

export function eventKey(kind: string, name: string, id: string): string {
  return `${EVENTS_PREFIX}${objectSegment(kind, name)}/${id}`;
}

/** The prefix holding every event of `kind` (and `name`), or all events. */
export function eventPrefix(kind?: string, name?: string): string {
  if (kind === undefined) return EVENTS_PREFIX;
  if (name === undefined) return `${EVENTS_PREFIX}${objectSegment(kind, 'x').slice(0, -1)}`;
  return `${EVENTS_PREFIX}${objectSegment(kind, name)}/`;
}

const TIME_DIGITS = 15;
let sequence = 0;

/**
 * Lexical order is time order: 15-digit epoch ms, a per-process sequence (order inside one
 * millisecond) and 3 random bytes (replicas writing in the same millisecond never collide).
 */
export function eventId(at: number): string {
  sequence = (sequence + 1) % 10_000;
  return `${String(Math.max(0, at)).padStart(TIME_DIGITS, '0')}-${String(sequence).padStart(4, '0')}-${randomBytes(3).toString('hex')}`;
}

/** Checks what a reporter passes (a bug in a reporter, not user input: fails loudly in tests). */
export function checkInput(e: EventInput): void {
  objectSegment(e.kind, e.name);
  if (!REASON.test(e.reason)) {
    throw new HvsError({
      code: 'HVS-EVENT-INVALID', category: 'InvalidArgument', path: 'reason',
      message: `event reason "${e.reason.slice(0, 64)}" is not CamelCase`,
      why: 'reasons are short CamelCase words that tools match on (Started, FailedScheduling)',
      fix: 'report a CamelCase reason and put the details in the message',
    });
  }
  if (e.type !== 'Normal' && e.type !== 'Warning') {
    throw new HvsError({
      code: 'HVS-EVENT-INVALID', category: 'InvalidArgument', path: 'type',
      message: `event type "${String(e.type).slice(0, 32)}" is neither Normal nor Warning`,
      why: 'events are Normal (expected) or Warning (someone may need to act)',
      fix: 'report type Normal or Warning',
    });
  }
}

/** Same object, same thing said by the same reporter: a repeat to fold. */
export function fingerprint(r: Pick<EventRecord, 'kind' | 'name' | 'uid' | 'type' | 'reason' | 'message' | 'source' | 'node'>): string {
  return JSON.stringify([r.kind, r.name, r.uid, r.type, r.reason, r.message, r.source, r.node]);
}

export function truncate(message: string): string {
  return message.length <= MAX_MESSAGE_CHARS ? message : `${message.slice(0, MAX_MESSAGE_CHARS - 3)}...`;
}

/** The id is the last key segment. */
export function decodeEvent(key: string, value: string, modRevision: string): StoredEvent {
  const record = JSON.parse(value) as EventRecord;
  return { ...record, id: key.slice(key.lastIndexOf('/') + 1), resourceVersion: modRevision };
}

/** Newest last: by latest occurrence, then by id (creation order). */
export function compareEvents(a: StoredEvent, b: StoredEvent): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
