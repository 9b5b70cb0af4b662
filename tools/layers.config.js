/**
 * The layers of every project, lowest first: a folder (or a top-level file) may import folders of
 * its own layer or lower ones, never higher, and never in a cycle (tools/check-layers.js checks
 * both; `npm run lint` runs it). A new folder must be placed here before it lints clean.
 * The picture and the reasons: docs/architecture/README.md.
 */
module.exports = {
  projects: {
    'apps/controller': {
      layers: [
        ['config', 'errors', 'observability'],
        ['store'],
        ['leases', 'runtime'],
        ['backend', 'leader'],
        ['audit', 'events', 'pki', 'agents', 'ipam'],
        ['identity'],
        ['services'],
        ['scheduling', 'node-lifecycle', 'ha', 'migration', 'dispatch', 'deletion', 'images'],
        ['api'],
        ['app'],
      ],
    },
    'apps/node-agent': {
      layers: [
        ['config', 'hypervisor', 'state', 'storage', 'pki'],
        ['observed', 'fencing', 'heartbeat', 'console', 'addresses', 'images'],
        ['domains', 'migration', 'diagnose', 'metrics', 'cloud-init', 'network'],
        ['grpc'],
        ['agent'],
      ],
    },
    'apps/hvctl': {
      layers: [
        ['errors.ts', 'io.ts'],
        ['config', 'manifest', 'printers'],
        ['client', 'local'],
        ['commands'],
        ['program'],
        ['cli.ts'],
      ],
    },
    'libs/domain': {
      layers: [
        ['errors.ts', 'naming.ts', 'hypervisor'],
        ['units.ts', 'labels', 'formats', 'observed'],
        ['kinds'],
        ['validation'],
        ['xml', 'planning', 'scheduler', 'manifest', 'cloud-init'],
        ['migration', 'ha'],
      ],
    },
    'libs/proto': { layers: [['gen'], ['v1.ts', 'agentv1.ts', 'proto-files.ts', 'convert'], ['grpc-errors.ts'], ['server-stream.ts']] },
    'libs/pki': { layers: [['errors.ts', 'names.ts', 'x509.ts', 'files.ts'], ['join-token.ts', 'certificates.ts', 'credentials.ts']] },
    'libs/host': { layers: [['hypervisor-probes.ts']] },
    'libs/reconcile': { layers: [['backoff.ts', 'clock.ts', 'result.ts'], ['work-queue.ts'], ['runner.ts']] },
  },
};
