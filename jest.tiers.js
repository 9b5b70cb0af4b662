// Test tiers (docs/system-tests.md#test-tiers): a spec's tier is in its file name or folder, and
// each tier of a package is its own jest project, displayName `<package>:<tier>`:
//   *.spec.ts          unit     in this process only (temp files and loopback sockets at most)
//   *.medium.spec.ts   medium   a real program or library besides ours: etcd, Redis, libvirt (its
//                               test driver), qemu-img, virsh, xmllint, nft, openssl, an agent process
//   *.qemu.spec.ts     qemu     real QEMU under a private libvirtd (root; HVS_TEST_QEMU=1), node-agent only
//   test/e2e, test/system, test/chaos: the e2e, system and chaos tiers (projects `e2e`, `system`, `chaos`).
// scripts/run-jest.js sums results per tier from the displayName, so name new projects the same way.
const MEDIUM = '\\.medium\\.spec\\.ts$';
const QEMU = '\\.qemu\\.spec\\.ts$';

/**
 * The jest projects of one package: unit and medium always (a medium spec is never left out), and
 * qemu where asked. `base` is the package's shared config (preset, rootDir, module mapping).
 */
function tierProjects(pkg, base, { qemu = false, ignore = [] } = {}) {
  const ignored = [...base.testPathIgnorePatterns, ...ignore];
  const projects = [
    { ...base, displayName: `${pkg}:unit`, testPathIgnorePatterns: [...ignored, MEDIUM, ...(qemu ? [QEMU] : [])] },
    { ...base, displayName: `${pkg}:medium`, testPathIgnorePatterns: ignored, testMatch: ['**/*.medium.spec.ts'] },
  ];
  if (qemu) projects.push({ ...base, displayName: `${pkg}:qemu`, testPathIgnorePatterns: ignored, testMatch: ['**/*.qemu.spec.ts'] });
  return projects;
}

/** The tier of a jest project: what follows the last ':' of its displayName, or the whole name. */
function tierOf(displayName) {
  const name = typeof displayName === 'string' ? displayName : displayName?.name ?? '';
  return name.includes(':') ? name.slice(name.lastIndexOf(':') + 1) : name || 'unknown';
}

/** Every project of the configs given (a config with `projects` contributes those). */
function flattenProjects(configs) {
  return configs.flatMap((c) => c.projects ?? [c]);
}

module.exports = { tierProjects, tierOf, flattenProjects, TIERS: ['unit', 'medium', 'qemu', 'e2e', 'system', 'chaos'] };
