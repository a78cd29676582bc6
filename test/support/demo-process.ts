/**
 * `npm run demo`'s program as a child process on free ports (DEMO_PORT=0):
 * resolves once it printed its instructions, with the addresses and token it
 * printed and the environment of its `export` line (what a reader pastes into
 * a second terminal); stop() sends the Ctrl-C it documents.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { repoRoot, stopProcess } from '../../scripts/processes/ready-process.js'

export interface DemoProcess {
  consoleUrl: string
  adminUrl: string
  gatewayUrl: string
  token: string
  /** process.env plus MODEL_GATEWAY_URL, MODEL_GATEWAY_ADMIN_URL and MODEL_GATEWAY_TOKEN as printed. */
  env: NodeJS.ProcessEnv
  output (): string
  stop (): Promise<void>
}

export async function startDemo (timeoutMs = 90_000): Promise<DemoProcess> {
  const child: ChildProcess = spawn(process.execPath, [join(repoRoot(), 'dist', 'scripts', 'demo.js')], {
    cwd: repoRoot(),
    env: { ...process.env, DEMO_PORT: '0', DEMO_ADMIN_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout!.on('data', (b: Buffer) => { out += b.toString() })
  child.stderr!.on('data', (b: Buffer) => { out += b.toString() })
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT')
      await stopProcess(child, 20_000)
    }
  }
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const consoleUrl = /console\s+(http:\/\/\S+\/console\/)/.exec(out)?.[1]
    const exports = /^\s*export (MODEL_GATEWAY_URL=.*)$/m.exec(out)?.[1]
    if (consoleUrl !== undefined && exports !== undefined && out.includes('Ctrl-C stops')) {
      const env: NodeJS.ProcessEnv = { ...process.env }
      for (const [, k, v] of exports.matchAll(/(\w+)=(\S+)/g)) env[k!] = v!
      return { consoleUrl, adminUrl: env.MODEL_GATEWAY_ADMIN_URL!, gatewayUrl: env.MODEL_GATEWAY_URL!, token: env.MODEL_GATEWAY_TOKEN!, env, output: () => out, stop }
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`the demo did not print its instructions:\n${out.slice(-4000)}`)
    }
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}
