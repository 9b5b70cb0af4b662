/**
 * The REST API's OpenAPI 3.1 document, written by hand next to the routes (a test checks
 * every registered route is described here). Objects are described by envelope only: the
 * kinds' schemas live in libs/domain (docs/architecture/resource-model.md).
 */
const json = (schema: object) => ({ 'application/json': { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errors = {
  400: { description: 'invalid input (every problem listed)', content: json(ref('Error')) },
  404: { description: 'no such object or kind', content: json(ref('Error')) },
  409: { description: 'stale resourceVersion (Conflict)', content: json(ref('Error')) },
  403: { description: 'a cross-origin request from an origin not in HVS_HTTP_ALLOWED_ORIGINS (HVS-API-ORIGIN-NOT-ALLOWED)', content: json(ref('Error')) },
  413: { description: 'request over 1 MiB (HVS-API-REQUEST-TOO-LARGE)', content: json(ref('Error')) },
  415: { description: 'a body that is not exactly application/json or application/yaml, or a POST without one (HVS-API-CONTENT-TYPE-UNSUPPORTED)', content: json(ref('Error')) },
  421: { description: 'a Host header not in HVS_HTTP_ALLOWED_HOSTS (HVS-API-HOST-NOT-ALLOWED)', content: json(ref('Error')) },
  503: { description: 'etcd unreachable (HVS-STORE-UNAVAILABLE)', content: json(ref('Error')) },
};
const kind = { name: 'kind', in: 'path', required: true, description: 'kind, plural or short name: VirtualMachine, vms, vm, nodes, net...', schema: { type: 'string' } };
const name = { name: 'name', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' } };
const q = (n: string, description: string, type = 'string') => ({ name: n, in: 'query', required: false, description, schema: { type } });
const manifests = {
  required: true,
  content: {
    ...json(ref('ManifestRequest')),
    'application/yaml': { schema: { type: 'string', description: 'one or more YAML/JSON documents; options from the query string' } },
  },
};
/** VM actions and cancel take a JSON object, {} when there is nothing to say (a form or a bare POST cannot trigger them). */
const emptyBody = { required: true, content: json({ type: 'object', additionalProperties: false, description: 'send {}' }) };
const vmAction = (verb: string) => ({
  post: {
    operationId: `${verb}Vm`, summary: `${verb} one VM (sets spec.runState${verb === 'restart' ? ' and bumps hvs.dev/restartedAt' : ''})`,
    parameters: [name],
    requestBody: emptyBody,
    responses: { 200: { description: 'one result per VM', content: json(ref('VmActionResponse')) }, ...errors },
  },
});

export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: { title: 'Hypervisor Suite API', version: 'v1', description: 'REST face of hvs.v1; same service layer and errors as gRPC (docs/architecture/controller-api.md).' },
  paths: {
    '/api/v1/apply': {
      post: {
        operationId: 'apply', summary: 'validate every document, then write all in one etcd transaction or nothing',
        parameters: [q('dryRun', 'plan only, write nothing', 'boolean'), q('prune', 'label selector: delete matching objects the documents no longer name'), q('fieldManager', 'recorded in the audit log')],
        requestBody: manifests,
        responses: { 200: { description: 'per-object result', content: json(ref('ApplyResponse')) }, ...errors },
      },
    },
    '/api/v1/plan': {
      post: {
        operationId: 'plan', summary: 'what apply would change, per field, with effects (restart, migration); writes nothing',
        parameters: [q('prune', 'label selector, as for apply')],
        requestBody: manifests,
        responses: { 200: { description: 'the plan', content: json(ref('PlanResponse')) }, ...errors },
      },
    },
    '/api/v1/identity/whoami': {
      get: { operationId: 'whoAmI', summary: 'the verified caller: kind, name, role, scope, credential, permissions', responses: { 200: { description: 'the caller', content: json({ type: 'object' }) }, ...errors } },
    },
    '/api/v1/identity/can-i': {
      post: {
        operationId: 'canI', summary: 'may the caller do this? (a permission or an API method, optionally about one object)',
        requestBody: { required: true, content: json({ type: 'object', properties: { action: { type: 'string' }, kind: { type: 'string' }, name: { type: 'string' } }, required: ['action'] }) },
        responses: { 200: { description: 'allowed, the permission, and why not', content: json({ type: 'object', properties: { allowed: { type: 'boolean' }, permission: { type: 'string' }, reason: { type: 'string' } } }) }, ...errors },
      },
    },
    '/api/v1/identity/session': {
      post: {
        operationId: 'createSession', summary: 'a short-lived session token (same role and scope) for the bearer token presented',
        requestBody: { required: true, content: json({ type: 'object', properties: { ttlSeconds: { type: 'integer', description: 'default 900, at most 3600' } } }) },
        responses: { 200: { description: 'the token, shown once', content: json({ type: 'object', properties: { token: { type: 'string' }, expiresAt: { type: 'string' } } }) }, ...errors },
      },
    },
    '/api/v1/identity/tickets': {
      post: {
        operationId: 'createTicket', summary: 'a single-use ticket (30 s) for one WebSocket/EventSource connection',
        requestBody: { required: true, content: json({ type: 'object', properties: { purpose: { type: 'string', description: 'what it opens, e.g. console/vm/web-1' } }, required: ['purpose'] }) },
        responses: { 200: { description: 'the ticket, shown once', content: json({ type: 'object', properties: { ticket: { type: 'string' }, expiresAt: { type: 'string' } } }) }, ...errors },
      },
    },
    '/api/v1/audit': {
      get: {
        operationId: 'listAudit', summary: 'audit records, newest first',
        parameters: [q('kind', 'kind'), q('name', 'object name'), q('actor', 'caller'), q('operation', 'apply, delete, start...'), q('since', 'RFC 3339 time'), q('limit', '1-1000, default 100', 'integer'), q('continue', 'token from the previous page')],
        responses: { 200: { description: 'a page of records', content: json(ref('AuditPage')) }, ...errors },
      },
    },
    '/api/v1/events': {
      get: {
        operationId: 'listEvents', summary: 'events of objects, newest last (repeats folded: count, firstTime); watch=1 streams new and updated events',
        parameters: [q('kind', 'kind, plural or short name'), q('name', 'object name'), q('since', 'RFC 3339: only events last seen at or after it'), q('limit', '1-1000, default 100: the newest that many', 'integer'),
          q('watch', 'stream events as newline-delimited JSON', 'boolean'), q('resourceVersion', 'watch: events after this revision (from a list)')],
        responses: {
          200: { description: 'the events, or a stream of them', content: { ...json(ref('EventList')), 'application/x-ndjson': { schema: ref('Event') } } },
          ...errors,
        },
      },
    },
    '/api/v1/openapi.json': { get: { operationId: 'openapi', summary: 'this document', responses: { 200: { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } } } },
    '/api/v1/vms/{name}/start': vmAction('start'),
    '/api/v1/vms/{name}/stop': vmAction('stop'),
    '/api/v1/vms/{name}/restart': vmAction('restart'),
    '/api/v1/vms/{name}/migrate': {
      post: {
        operationId: 'migrateVm', summary: 'estimate a move of one VM and (unless dryRun) create its Migration (docs/migration.md)',
        parameters: [name],
        requestBody: { required: true, content: json(ref('MigrateRequest')) },
        responses: {
          200: { description: 'dry run: the estimate, nothing written', content: json(ref('MigrateResponse')) },
          201: { description: 'the Migration created, with the estimate', content: json(ref('MigrateResponse')) },
          ...errors,
        },
      },
    },
    '/api/v1/migrations/{name}/cancel': {
      post: {
        operationId: 'cancelMigration', summary: 'stop a Pending or Running Migration: it ends Failed with reason Cancelled, the VM stays on its source (docs/migration.md)',
        parameters: [name],
        requestBody: emptyBody,
        responses: { 200: { description: 'the Migration with spec.cancel set', content: json(ref('Object')) }, ...errors },
      },
    },
    '/api/v1/{kind}': {
      get: {
        operationId: 'list', summary: 'list objects of a kind, or watch them (watch=1: newline-delimited JSON events)',
        parameters: [kind, q('labelSelector', 'a=b,c!=d,e in (x,y),!f'), q('watch', 'stream ADDED/MODIFIED/DELETED events', 'boolean'), q('resourceVersion', 'watch: events after this revision (from a list)')],
        responses: {
          200: { description: 'the list, or a stream of events', content: { ...json(ref('List')), 'application/x-ndjson': { schema: ref('WatchEvent') } } },
          ...errors,
        },
      },
      delete: {
        operationId: 'deleteMany', summary: 'delete several objects of a kind in one transaction, all or nothing (a missing name: 404 listing each, nothing deleted)',
        parameters: [kind, q('name', 'an object to delete (repeat for several)'), q('labelSelector', 'every object matching it (instead of name)'), q('ignoreNotFound', 'skip names that do not exist', 'boolean'), q('wait', 'return once the objects are gone', 'boolean'), q('waitTimeoutMs', 'give up waiting after this long (default 30000)', 'integer'),
          q('force', 'drop the finalizers unconfirmed (audited as force-delete)', 'boolean')],
        responses: {
          200: {
            description: 'one result per object deleted',
            content: json({ type: 'object', properties: { results: { type: 'array', items: { type: 'object', properties: { object: ref('Object'), gone: { type: 'boolean' }, warnings: { type: 'array', items: { type: 'string' } } } } } } }),
          },
          ...errors,
        },
      },
    },
    '/api/v1/{kind}/{name}': {
      get: { operationId: 'get', summary: 'one object (Secret values and VM cloud-init redacted)', parameters: [kind, name, q('reveal', 'Secret values and VM cloud-init in plain text: needs the permission secrets.reveal; audited', 'boolean')], responses: { 200: { description: 'the object', content: json(ref('Object')) }, ...errors } },
      delete: {
        operationId: 'delete', summary: 'delete (sets deletionTimestamp while finalizers remain)',
        parameters: [kind, name, q('wait', 'return once the object is gone', 'boolean'), q('waitTimeoutMs', 'give up waiting after this long (default 30000)', 'integer'), q('resourceVersion', 'precondition: delete only at this version'),
          q('force', 'drop the finalizers unconfirmed: the object goes now (audited as force-delete; warnings say what may be left on a host)', 'boolean')],
        responses: {
          200: { description: 'the object, whether it is gone, and warnings', content: json({ type: 'object', properties: { object: ref('Object'), gone: { type: 'boolean' }, warnings: { type: 'array', items: { type: 'string' } } } }) },
          ...errors,
        },
      },
    },
  },
  // Every route needs a bearer token (an API token or a session: `hvctl token create`); see docs/security.md.
  security: [{ bearer: [] }],
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'hvs_<id>_<secret> from `hvctl token create`; never a cookie' } },
    schemas: {
      Object: { type: 'object', required: ['apiVersion', 'kind', 'metadata'], properties: { apiVersion: { const: 'hvs/v1' }, kind: { type: 'string' }, metadata: { type: 'object' }, spec: { type: 'object' }, status: { type: 'object' } } },
      List: { type: 'object', properties: { items: { type: 'array', items: ref('Object') }, resourceVersion: { type: 'string' } } },
      WatchEvent: { type: 'object', properties: { type: { enum: ['ADDED', 'MODIFIED', 'DELETED', 'ERROR'] }, object: ref('Object'), resourceVersion: { type: 'string' }, error: ref('Error') } },
      ManifestRequest: {
        type: 'object', required: ['documents'],
        properties: {
          documents: { type: 'array', items: { type: 'object', required: ['content'], properties: { content: { type: 'string' }, file: { type: 'string' } } } },
          dryRun: { type: 'boolean' }, prune: { type: 'string' }, fieldManager: { type: 'string' },
        },
      },
      FieldChange: { type: 'object', properties: { path: { type: 'string' }, old: {}, new: {}, effect: { enum: ['none', 'hotplug', 'migration', 'restart'] }, note: { type: 'string' }, sensitive: { type: 'boolean' } } },
      ApplyResponse: {
        type: 'object',
        properties: {
          results: { type: 'array', items: { type: 'object', properties: { kind: { type: 'string' }, name: { type: 'string' }, action: { enum: ['created', 'configured', 'unchanged', 'pruned'] }, generation: { type: 'integer' }, changes: { type: 'array', items: ref('FieldChange') } } } },
          resourceVersion: { type: 'string', description: 'revision of the transaction; empty for a dry run or when nothing changed' },
        },
      },
      PlanResponse: { type: 'object', properties: { objects: { type: 'array', items: { type: 'object', properties: { kind: { type: 'string' }, name: { type: 'string' }, action: { enum: ['create', 'update', 'unchanged', 'delete'] }, changes: { type: 'array', items: ref('FieldChange') }, effect: { enum: ['none', 'hotplug', 'migration', 'restart'] } } } } } },
      VmActionResponse: { type: 'object', properties: { results: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, ok: { type: 'boolean' }, changed: { type: 'boolean' }, phase: { type: 'string' }, error: ref('Problem') } } } } },
      MigrateRequest: {
        type: 'object', additionalProperties: false,
        properties: {
          to: { type: 'string', description: 'target node; absent: the scheduler picks' }, mode: { enum: ['live', 'postcopy', 'offline'] },
          maxDowntime: { type: ['string', 'number'], description: 'e.g. "100ms" (a number is milliseconds); default 300ms' }, copyStorage: { type: 'boolean' }, bandwidth: { type: 'string', description: 'at most this many bytes/s, e.g. "100MB" or "1Gbit"; default no limit' }, dryRun: { type: 'boolean' },
        },
      },
      MigrateResponse: {
        type: 'object',
        properties: {
          migration: ref('Object'), sourceNode: { type: 'string' }, targetNode: { type: 'string' }, mode: { enum: ['live', 'postcopy', 'offline'] },
          estimate: {
            type: 'object',
            properties: {
              memoryBytes: { type: 'integer' }, dirtyRateBps: { type: 'number' }, bandwidthBps: { type: 'number' }, durationMs: { type: 'integer' }, downtimeMs: { type: 'integer' },
              passes: { type: 'integer' }, converges: { type: 'boolean' }, notes: { type: 'array', items: { type: 'string' }, description: 'what was measured, what was assumed and why' },
            },
          },
        },
      },
      AuditPage: {
        type: 'object',
        properties: {
          records: { type: 'array', items: { type: 'object', properties: { time: { type: 'string' }, actor: { type: 'string' }, operation: { type: 'string' }, kind: { type: 'string' }, name: { type: 'string' }, generationBefore: { type: 'integer' }, generationAfter: { type: 'integer' }, result: { enum: ['ok', 'error'] }, code: { type: 'string' } } } },
          continueToken: { type: 'string' },
        },
      },
      Event: {
        type: 'object',
        properties: {
          time: { type: 'string', description: 'RFC 3339, latest occurrence' }, firstTime: { type: 'string' }, count: { type: 'integer' },
          kind: { type: 'string' }, name: { type: 'string' }, uid: { type: 'string' }, type: { enum: ['Normal', 'Warning'] }, reason: { type: 'string' },
          message: { type: 'string' }, source: { type: 'string' }, node: { type: 'string' }, id: { type: 'string' }, resourceVersion: { type: 'string' },
        },
      },
      EventList: { type: 'object', properties: { events: { type: 'array', items: ref('Event') }, resourceVersion: { type: 'string' } } },
      Problem: { type: 'object', required: ['code', 'message', 'fix'], properties: { code: { type: 'string' }, path: { type: 'string' }, message: { type: 'string' }, why: { type: 'string' }, fix: { type: 'string' } } },
      Error: {
        type: 'object', required: ['code', 'category', 'message', 'fix', 'problems'],
        properties: { code: { type: 'string' }, category: { type: 'string' }, message: { type: 'string' }, why: { type: 'string' }, fix: { type: 'string' }, path: { type: 'string' }, problems: { type: 'array', items: ref('Problem') } },
      },
    },
  },
} as const;
