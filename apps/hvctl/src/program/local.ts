/** The tree of `hvctl up`, `down` and `status`; commands/local.ts (and the process supervisor) is loaded when one runs. */
import { Option, type Command } from 'commander';
import type { DownFlags, UpFlags } from '../commands/local';
import type { Runtime } from '../commands/runtime';

export function registerLocal(program: Command, rt: Runtime): void {
  const dataDirOpt = (c: Command) => c.option('--data-dir <dir>', 'where state, data and logs live (default: /var/lib/hvs as root, else ~/.local/share/hvs)');

  dataDirOpt(program.command('up'))
    .description('run etcd, Redis, the controller and an agent on this host, and point the context "local" at them')
    .option('--ports <auto>', 'auto: pick free loopback ports instead of the defaults')
    .option('--etcd-port <port>', 'etcd client port (peer: port+1), default 12379')
    .option('--redis-port <port>', 'Redis port, default 16379')
    .option('--grpc-port <port>', 'controller gRPC port, default 7443')
    .option('--http-port <port>', 'controller HTTP port (health, metrics, REST), default 7480')
    .option('--agent-port <port>', 'agent gRPC port (metrics: port+2000), default 7450')
    .option('--hypervisor <mode>', 'auto, kvm, qemu or test', 'auto')
    .addOption(new Option('--components <list>', 'comma-separated subset of etcd,redis,controller,agent (debugging)').hideHelp())
    .addHelpText('after', '\nExamples:\n  hvctl up\n  hvctl up --data-dir /tmp/hvs --ports auto\n  hvctl up --hypervisor test')
    .action(async (f: UpFlags) => (await import('../commands/local.js')).runUp(rt, f));

  dataDirOpt(program.command('down'))
    .description('stop what `hvctl up` started, in reverse order (VMs keep running unless --stop-vms)')
    .option('--stop-vms', 'stop every VM first (ACPI shutdown, then power off)')
    .option('--timeout <duration>', 'grace period per process before SIGKILL', '15s')
    .action(async (f: DownFlags) => (await import('../commands/local.js')).runDown(rt, f));

  dataDirOpt(program.command('status'))
    .description('health of each single-host component (exit 1 unless all are healthy)')
    .action(async (f: { dataDir?: string }) => (await import('../commands/local.js')).runStatus(rt, f));
}
