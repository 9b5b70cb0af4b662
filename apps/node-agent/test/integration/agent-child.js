// Runs the node agent's real TypeScript sources as a separate process (for the kill -9 test and
// the benchmark), compiled on load with @swc/core, so no build step is needed and the code under
// test is the code in src/. Usage: node agent-child.js [agent flags]; settings from HVS_* env.
// A dynamic import() of a relative path (a lazily loaded agent module, e.g. `import('../pki/index.js')`)
// becomes require() so it resolves to the .ts source; other dynamic imports stay native
// (@unraid/libvirt is ESM-only).
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const swc = require('@swc/core');

const root = path.resolve(__dirname, '../../../..');
const aliases = {
  '@hvs/domain': path.join(root, 'libs/domain/src/index.ts'),
  '@hvs/reconcile': path.join(root, 'libs/reconcile/src/index.ts'),
  '@hvs/proto': path.join(root, 'libs/proto/src/index.ts'),
  '@hvs/pki': path.join(root, 'libs/pki/src/index.ts'),
};
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if (aliases[request]) return aliases[request];
  try {
    return resolve.call(this, request, parent, ...rest);
  } catch (e) {
    if (!request.startsWith('.')) throw e;
    // Sources import './x' (agent) or './x.js' (libs, nodenext style): both mean ./x.ts.
    return resolve.call(this, `${request.replace(/\.js$/, '')}.ts`, parent, ...rest);
  }
};
require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8').replace(/(?<!typeof )\bimport\((['"])(\.[^'"]+)\1\)/g, 'Promise.resolve().then(() => require($1$2$1))');
  const { code } = swc.transformSync(source, {
    filename,
    jsc: { parser: { syntax: 'typescript', decorators: true }, target: 'es2022' },
    // Keep other import()s native: @unraid/libvirt is ESM-only.
    module: { type: 'commonjs', ignoreDynamic: true },
  });
  module._compile(code, filename);
};

require('../../src/main.ts').runAgent(process.argv.slice(2), process.env);
