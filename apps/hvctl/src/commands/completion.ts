/**
 * `hvctl completion bash|zsh`: a script generated from the command tree itself, so every
 * command and flag hvctl has is completed, and kinds after get/describe/delete.
 */
import type { Command } from 'commander';
import { KIND_WORDS } from './kinds';
import { usageError } from '../errors';
import type { Runtime } from './runtime';

function flagsOf(cmd: Command): string[] {
  return cmd.options.flatMap((o) => [o.short, o.long].filter((f): f is string => typeof f === 'string'));
}

export function completionScript(program: Command, shell: string): string {
  const commands = program.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
  const names = commands.flatMap((c) => [c.name(), ...c.aliases()]);
  const kinds = [...new Set(Object.values(KIND_WORDS).flatMap((k) => [k.plural, ...k.shortNames]))].sort();
  const global = flagsOf(program);
  const cases = commands.map((c) => {
    const subs = c.commands.map((s) => s.name());
    const words = [...subs, ...flagsOf(c), ...global, ...(['get', 'describe', 'delete'].includes(c.name()) ? kinds : [])];
    return { names: [c.name(), ...c.aliases()], words: words.join(' ') };
  });
  if (shell === 'bash') {
    const body = cases.map((c) => `    ${c.names.join('|')}) words="${c.words}" ;;`).join('\n');
    return `# bash completion for hvctl: source <(hvctl completion bash)
_hvctl() {
  local cur cmd words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  cmd="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${names.join(' ')} ${global.join(' ')}" -- "$cur") )
    return
  fi
  case "$cmd" in
${body}
    *) words="${global.join(' ')}" ;;
  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
  case "$cur" in -*) ;; *) [ \${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=( $(compgen -f -- "$cur") ) ;; esac
}
complete -o default -F _hvctl hvctl
`;
  }
  if (shell === 'zsh') {
    const body = cases.map((c) => `    ${c.names.join('|')}) compadd -- ${c.words} ;;`).join('\n');
    return `#compdef hvctl
# zsh completion for hvctl: source <(hvctl completion zsh)
_hvctl() {
  if (( CURRENT == 2 )); then
    compadd -- ${names.join(' ')}
    return
  fi
  case "\${words[2]}" in
${body}
  esac
  _files
}
if [ "$funcstack[1]" = "_hvctl" ]; then _hvctl "$@"; else compdef _hvctl hvctl; fi
`;
  }
  throw usageError(`no completion for shell "${shell}"`, 'use bash or zsh');
}

export function registerCompletion(program: Command, rt: Runtime): void {
  program.command('completion').argument('<shell>', 'bash or zsh').description('print a shell completion script')
    .addHelpText('after', '\nExamples:\n  source <(hvctl completion bash)\n  hvctl completion zsh > "${fpath[1]}/_hvctl"')
    .action((shell: string) => rt.io.out(completionScript(program, shell)));
}
