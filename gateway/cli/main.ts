#!/usr/bin/env node
/**
 * `model-gateway <command> [options]`. Each command lives in its own module under
 * cli/commands/ and is loaded only when called, so `status` does not load Kafka.
 */
// First: must run before the other modules load (see tick-shapes.ts).
import '../tick-shapes.js'
import type { Command } from './command.js'

type Loader = () => Promise<Command>

const commands: Record<string, Loader> = {
  serve: async () => ({
    summary: 'run the gateway (what npm start runs): --config FILE, --port N, --admin-port N',
    run: async () => { await import('../main.js'); return -1 }
  }),
  // control plane commands register here
  status: async () => (await import('./commands/status.js')).default,
  'set-weights': async () => (await import('./commands/set-weights.js')).default,
  canary: async () => (await import('./commands/canary.js')).default,
  promote: async () => (await import('./commands/promote.js')).default,
  rollback: async () => (await import('./commands/rollback.js')).default,
  switch: async () => (await import('./commands/switch.js')).default,
  register: async () => (await import('./commands/register.js')).default,
  retire: async () => (await import('./commands/retire.js')).default,
  audit: async () => (await import('./commands/audit.js')).default,
  operation: async () => (await import('./commands/operation.js')).default,
  instances: async () => (await import('./commands/instances.js')).default,
  verify: async () => (await import('./commands/verify.js')).default,
  shadow: async () => (await import('./commands/shadow.js')).default,
  replicas: async () => (await import('./commands/replicas.js')).default,
  reload: async () => (await import('./commands/reload.js')).default,
  rollout: async () => (await import('./commands/rollout.js')).default,
  template: async () => (await import('./commands/template.js')).default,
  drill: async () => (await import('./commands/drill.js')).default,
  // data-plane access control
  apps: async () => (await import('./commands/apps.js')).default,
  keys: async () => (await import('./commands/keys.js')).default,
  // pipeline commands register here
  sampling: async () => (await import('./commands/sampling.js')).default,
  sink: async () => (await import('./commands/sink.js')).default,
  migrate: async () => (await import('./commands/migrate.js')).default,
  report: async () => (await import('./commands/report.js')).default,
  query: async () => (await import('./commands/query.js')).default,
  batch: async () => (await import('./commands/batch.js')).default,
  traffic: async () => (await import('./commands/traffic.js')).default,
  outcomes: async () => (await import('./commands/outcomes.js')).default,
  monitor: async () => (await import('./commands/monitor.js')).default,
}

async function main (argv: string[]): Promise<void> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(await usage())
    process.exitCode = name === undefined ? 2 : 0
    return
  }
  const load = commands[name]
  if (load === undefined) {
    process.stderr.write(`model-gateway: unknown command "${name}"\n\n${await usage()}`)
    process.exitCode = 2
    return
  }
  const code = await (await load()).run(rest)
  // -1: the command keeps running (a server); let it decide when to exit.
  if (code >= 0) process.exitCode = code
}

async function usage (): Promise<string> {
  const lines = ['usage: npx model-gateway <command> [options]', '', 'commands:']
  for (const [name, load] of Object.entries(commands)) lines.push(`  ${name.padEnd(14)} ${(await load()).summary}`)
  lines.push('', 'Run "npx model-gateway <command> --help" for the options of a command.', '')
  return lines.join('\n')
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`model-gateway: ${(err as Error).message}\n`)
  process.exitCode = 1
})
