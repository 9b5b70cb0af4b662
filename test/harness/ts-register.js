// Loads the repo's TypeScript sources in a plain node process: `require('./ts-register.js')`
// first, then require() any .ts file. @hvs/* resolve to the libs' sources, relative imports
// written with .js resolve to .ts, and each file is compiled on load with @swc/core. A dynamic
// import() of a relative path becomes require() so it resolves to the .ts source; other
// dynamic imports stay native (@unraid/libvirt is ESM-only). Used by agent-child.js and by
// specs that must run a piece of an app in a child process (e.g. as another user).
const Module = require('node:module');
const path = require('node:path');
const swc = require('@swc/core');

const root = path.resolve(__dirname, '../..');
const aliases = {
  '@hvs/domain': path.join(root, 'libs/domain/src/index.ts'),
  '@hvs/reconcile': path.join(root, 'libs/reconcile/src/index.ts'),
  '@hvs/proto': path.join(root, 'libs/proto/src/index.ts'),
  '@hvs/pki': path.join(root, 'libs/pki/src/index.ts'),
  '@hvs/host': path.join(root, 'libs/host/src/index.ts'),
};
const resolve = Module._resolveFilename;
// hvctl loads some of a lib by deep path (`@hvs/domain/dist/errors`): the same source file, one class.
const deepLib = /^@hvs\/(domain|reconcile|proto|pki|host)\/dist\/(.+?)(\.js)?$/;
Module._resolveFilename = function (request, parent, ...rest) {
  if (aliases[request]) return aliases[request];
  const deep = deepLib.exec(request);
  if (deep) {
    const file = path.join(root, 'libs', deep[1], 'src', deep[2]);
    return require('node:fs').existsSync(`${file}.ts`) ? `${file}.ts` : path.join(file, 'index.ts');
  }
  try {
    return resolve.call(this, request, parent, ...rest);
  } catch (e) {
    if (!request.startsWith('.')) throw e;
    return resolve.call(this, `${request.replace(/\.js$/, '')}.ts`, parent, ...rest);
  }
};
const fs = require('node:fs');
require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8').replace(/(?<!typeof )\bimport\((['"])(\.[^'"]+)\1\)/g, 'Promise.resolve().then(() => require($1$2$1))');
  const { code } = swc.transformSync(source, {
    filename,
    jsc: { parser: { syntax: 'typescript', decorators: true }, target: 'es2022' },
    module: { type: 'commonjs', ignoreDynamic: true },
  });
  module._compile(code, filename);
};

module.exports = { root };
