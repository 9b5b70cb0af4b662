/**
 * Loads @unraid/libvirt, an ESM-only package, from this CommonJS code base. Production (tsc,
 * module nodenext) keeps `import()` as a real dynamic import; under jest, @swc/jest turns it into
 * require() and jest.config.js maps the package to its dist/index.js, which swc transpiles too
 * (swc rewrites the lib's `import.meta.url` to a file URL of __filename, so its
 * `createRequire(import.meta.url)` still finds ../build/Release/libvirt.node). One path for both.
 */
export type LibvirtModule = typeof import('@unraid/libvirt');
export type LibvirtHypervisor = import('@unraid/libvirt').Hypervisor;
export type LibvirtDomain = import('@unraid/libvirt').Domain;

let loading: Promise<LibvirtModule> | undefined;

export function loadLibvirt(): Promise<LibvirtModule> {
  loading ??= import('@unraid/libvirt');
  return loading;
}
