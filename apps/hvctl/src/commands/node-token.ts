/**
 * `hvctl node token create|list|revoke`: join tokens for new hosts (docs/joining.md): one-time,
 * one-time to replace an existing node (`--replace`, audited), or for several new hosts
 * (`--uses N`, never bound to a name).
 * The token is a secret: `create` prints it once, on stdout only, never in the command line it
 * suggests (the agent reads it from a 0600 file), and `list` never shows it.
 */
import type { Command } from 'commander';
import { CliExit, EXIT, usageError } from '../errors';
import { renderTable } from '../printers/table';
import { jsonOutput, parseDurationFlag, tokenIdArg, type Runtime } from './runtime';

const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Where the suggested command puts the token on the new host. */
export const AGENT_TOKEN_FILE = '/etc/hvs/join-token';

interface CreateFlags {
  node?: string;
  replace?: boolean;
  uses?: string;
  ttl: string;
  output?: string;
  quiet?: boolean;
  advertise?: string;
}

/** The lines an operator copies to the new host; the token itself is never part of a command line. */
export function joinInstructions(controller: string, nodeName: string | undefined): string[] {
  const nameFlag = nodeName ? ` --node-name ${nodeName}` : ' --node-name <name>';
  return [
    `On the new host, as root: store the token in a file only root can read (paste it, then Ctrl-D):`,
    `  install -d -m 0700 /etc/hvs && (umask 077; cat > ${AGENT_TOKEN_FILE})`,
    `then start the agent (it joins once, then uses its own certificate):`,
    `  node apps/node-agent/dist/main.js --join ${controller} --token-file ${AGENT_TOKEN_FILE}${nameFlag} --listen 0.0.0.0:7450 --advertise <this host's IP>:7450`,
    `It prints "joined: certificate for node ..." and the node turns Ready in \`hvctl get nodes\`.`,
  ];
}

function scope(node: string | undefined, replace: boolean, uses: number): string {
  if (node) return replace ? `, only to replace node ${node}: its current host is cut off when the new one joins` : `, only for node ${node}`;
  return uses > 1 ? `, for up to ${uses} new node names` : ', for any new node name';
}

export function registerNodeToken(program: Command, rt: Runtime): void {
  const node = program.command('node').description('node administration: join tokens (see also cordon, uncordon)');
  const token = node.command('token').description('one-time tokens that let a new host join the cluster');

  token.command('create')
    .description('create a join token (printed once) and show the command that joins a host with it')
    .option('--node <name>', 'bind the token to this node name')
    .option('--replace', 'the --node exists: replace it (the new host takes its name and address; its old certificates stop working; audited)')
    .option('--uses <n>', 'join up to n new hosts with this one token (1 to 1000; not with --node)')
    .option('--ttl <duration>', 'how long the token is valid (1m to 720h)', '1h')
    .option('-q, --quiet', 'print only the token (for piping into a file on the new host)')
    .option('-o, --output <format>', 'json')
    .addHelpText('after', `\nExamples:\n  hvctl node token create --node host-2\n  hvctl node token create --node host-2 -q | ssh root@host-2 'install -d -m 0700 /etc/hvs && umask 077 && cat > ${AGENT_TOKEN_FILE}'`
      + '\n  hvctl node token create --node host-2 --replace   # host-2 moves to new hardware or a new key\n  hvctl node token create --uses 50 --ttl 1h        # one token for 50 new hosts')
    .action(async (f: CreateFlags) => {
      if (f.node !== undefined && !NAME.test(f.node)) throw usageError(`--node "${f.node}" is not a node name`, 'node names are DNS labels: lower-case letters, digits and -, at most 63');
      jsonOutput(f.output);
      const ttlMs = parseDurationFlag('--ttl', f.ttl);
      const uses = f.uses === undefined ? 1 : Number(f.uses);
      if (!/^[0-9]+$/.test(f.uses ?? '1') || uses < 1 || uses > 1000) throw usageError(`--uses "${f.uses}" is not a count from 1 to 1000`, 'e.g. --uses 50');
      if (uses > 1 && f.node !== undefined) throw usageError('--uses and --node do not go together', 'a token bound to one node name joins that one host; drop --node to join several new hosts');
      if (f.replace && f.node === undefined) throw usageError('--replace needs --node', 'name the node to replace: hvctl node token create --node NAME --replace');
      const api = await rt.api();
      const res = await api.createJoinToken({ ttlSeconds: Math.round(ttlMs / 1000), nodeName: f.node ?? '', replace: f.replace === true, uses });
      if (f.quiet) {
        rt.io.out(`${res.token}\n`);
        return;
      }
      const id = res.token.split('.')[1] ?? '';
      if (f.output === 'json') {
        rt.io.out(`${JSON.stringify({ token: res.token, id, expiresAt: res.expiresAt, nodeName: f.node ?? null, replace: f.replace === true, uses, caFingerprint: res.caFingerprint, controller: api.address }, null, 2)}\n`);
        return;
      }
      rt.io.out(`${res.token}\n`);
      const p = rt.palette('err');
      rt.io.err([
        '',
        p.bold(`Join token ${id} (shown once; valid until ${res.expiresAt}${scope(f.node, f.replace === true, uses)}).`),
        `Cluster CA sha256: ${res.caFingerprint}`,
        ...joinInstructions(api.address, f.node),
        ...(/^(127\.|localhost|\[?::1\]?)/.test(api.address) ? [p.yellow(`Note: ${api.address} is a loopback address; give the new host an address of this controller it can reach.`)] : []),
        '',
      ].join('\n'));
    });

  token.command('list')
    .description('list unused join tokens (never their secrets)')
    .option('-o, --output <format>', 'json')
    .action(async (f: { output?: string }) => {
      const { tokens } = await (await rt.api()).listJoinTokens();
      if (f.output === 'json') {
        rt.io.out(`${JSON.stringify({ tokens }, null, 2)}\n`);
        return;
      }
      if (tokens.length === 0) {
        rt.io.err('No unused join tokens.\n');
        return;
      }
      rt.io.out(renderTable(['ID', 'NODE', 'USES LEFT', 'CREATED', 'EXPIRES', 'STATE'], tokens.map((t) => [
        t.id, t.nodeName ? `${t.nodeName}${t.replace ? ' (replace)' : ''}` : '(any new)', String(t.usesLeft || 1), t.createdAt, t.expiresAt, t.expired ? 'expired' : 'valid',
      ])));
    });

  token.command('revoke').argument('<id>', 'the token id from `hvctl node token list`')
    .description('delete an unused join token so it can no longer join a host')
    .action(async (id: string) => {
      const wanted = tokenIdArg(id, 'hvctl node token list');
      const { revoked } = await (await rt.api()).revokeJoinToken(wanted);
      if (!revoked) {
        rt.io.err(`No unused join token ${wanted} (already used, revoked or expired and cleaned up).\n`);
        throw new CliExit(EXIT.error);
      }
      rt.io.out(`join token ${wanted} revoked\n`);
    });
}
