/**
 * Node agent entry point: `node dist/main.js [--flag value ...]`, settings from HVS_* variables
 * (docs/node-agent.md). A startup failure prints one line (code: what: why; fix: ...) to stderr
 * and exits 1; SIGTERM/SIGINT stop the agent cleanly (VMs keep running) and exit 0.
 */
import { formatProblem, HvsError } from '@hvs/domain';
import { createAgent, type Agent, type AgentDeps } from './agent/agent';
import { loadAgentConfig } from './config/config';

export interface AgentIo {
  stderr(line: string): void;
  exit(code: number): void;
  onSignal(signal: 'SIGTERM' | 'SIGINT', fn: () => void): void;
}

const processIo: AgentIo = {
  stderr: (line) => process.stderr.write(`${line}\n`),
  exit: (code) => process.exit(code),
  onSignal: (signal, fn) => process.once(signal, fn),
};

function startupLine(e: unknown): string {
  if (e instanceof HvsError) {
    const rest = e.problems.length > 1 ? ` (+${e.problems.length - 1} more: ${e.problems.slice(1).map((p) => p.code).join(', ')})` : '';
    return `hvs-node-agent: ${formatProblem(e.problems.length > 1 ? e.problems[0] : e)}${rest}`;
  }
  return `hvs-node-agent: HVS-AGENT-START-FAILED: the agent could not start: ${e instanceof Error ? e.message : String(e)}; fix: see the log lines above and docs/node-agent.md`;
}

/**
 * Starts the agent; resolves with the running agent, or undefined after printing why it could
 * not start. `deps`: tests' process launchers (e.g. the fake hypervisor of test/harness).
 */
export async function runAgent(argv: string[], env: NodeJS.ProcessEnv, io: AgentIo = processIo, deps: AgentDeps = {}): Promise<Agent | undefined> {
  let agent: Agent | undefined;
  try {
    agent = createAgent(loadAgentConfig(env, argv), deps);
    await agent.start();
  } catch (e) {
    io.stderr(startupLine(e));
    await agent?.stop().catch(() => undefined);
    io.exit(1);
    return undefined;
  }
  const running = agent;
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    running.stop().then(() => io.exit(0), (e: unknown) => {
      io.stderr(startupLine(e));
      io.exit(1);
    });
  };
  io.onSignal('SIGTERM', stop);
  io.onSignal('SIGINT', stop);
  return running;
}

// Started as a program (not imported by a test): run.
if (require.main === module) void runAgent(process.argv.slice(2), process.env);
