// `npm run demo` as a child process on free ports: resolves once it printed its
// console address and token; stop() sends the Ctrl-C it documents.
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { repoRoot, stopProcess } from '../../scripts/processes/ready-process.js'
import { closedPort } from './ports.js'

export interface DemoProcess {
  consoleUrl: string
  adminUrl: string
  gatewayUrl: string
  token: string
  output (): string
  stop (): Promise<void>
}

export async function startDemo (timeoutMs = 60_000): Promise<DemoProcess> {
  const [port, adminPort] = [await closedPort(), await closedPort()]
  const child: ChildProcess = spawn(process.execPath, [join(repoRoot(), 'dist', 'scripts', 'demo.js')], {
    env: { ...process.env, DEMO_PORT: String(port), DEMO_ADMIN_PORT: String(adminPort) },
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
    const token = /token: (\S+)/.exec(out)?.[1]
    if (consoleUrl !== undefined && token !== undefined && out.includes('Ctrl-C stops')) {
      return { consoleUrl, adminUrl: `http://127.0.0.1:${adminPort}`, gatewayUrl: `http://127.0.0.1:${port}`, token, output: () => out, stop }
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`the demo did not print its console address:\n${out.slice(-4000)}`)
    }
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}
