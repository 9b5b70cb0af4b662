/**
 * The ports the single-host system listens on by default (`npm start`: hvctl's DEFAULT_PORTS,
 * which are also the controller's and the agent's own defaults). `.ci/run` keeps that system up
 * while `npm test` runs, so no test may listen on one: ./no-default-ports.ts refuses it in every
 * jest process and test/repo.spec.ts checks the specs and the harness never configure one.
 * test/repo.spec.ts also checks this list against apps/hvctl/src/local/state.ts.
 */
export const DEFAULT_PORTS: readonly number[] = [7443, 7480, 7450, 9450, 12379, 12380, 16379];

/** The default data dir of `hvctl up` as root; tests use temp dirs. */
export const DEFAULT_DATA_DIR = '/var/lib/hvs';
