// A controller replica reduced to its LeaderElector, run as its own process by leader-elector.medium.spec.ts
// (which kills it with SIGKILL). Plain JS: it compiles the real TypeScript sources on load with
// @swc/core, so the code under test is the same code the controller runs.
// Usage: node elector-child.js <etcd endpoint> <replica id> <ttl seconds>
// Prints "LEADER <id>" / "FOLLOWER <id>" on every change, "READY <id>" once campaigning.
const Module = require('node:module');
const path = require('node:path');
const swc = require('@swc/core');

const root = path.resolve(__dirname, '../../../..');
const aliases = { '@hvs/domain': path.join(root, 'libs/domain/src/index.ts') };
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if (aliases[request]) return aliases[request];
  try {
    return resolve.call(this, request, parent, ...rest);
  } catch (e) {
    if (request.startsWith('.')) return resolve.call(this, `${request}.ts`, parent, ...rest);
    throw e;
  }
};
require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformFileSync(filename, {
    jsc: { parser: { syntax: 'typescript', decorators: true }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

const [endpoint, id, ttl] = process.argv.slice(2);
const { EtcdConnection } = require('../../src/store/etcd-connection.ts');
const { LeaderElector } = require('../../src/leader/leader-elector.ts');

const connection = new EtcdConnection({ endpoints: [endpoint], callTimeoutMs: 2000 });
const elector = new LeaderElector({ connection, id, address: `pid:${process.pid}`, ttlSeconds: Number(ttl) });
elector.onChange((leading) => process.stdout.write(`${leading ? 'LEADER' : 'FOLLOWER'} ${id}\n`));
void elector.campaign();
process.stdout.write(`READY ${id}\n`);
process.on('SIGTERM', () => {
  elector.resign().finally(() => {
    connection.close();
    process.exit(0);
  });
});
