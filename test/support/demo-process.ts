/**
 * The demo's program (what `npm run demo` runs after building) on any free
 * ports, and the environment of the `export` line it prints — what a reader
 * pastes into a second terminal.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { repoRoot } from '../../scripts/processes/ready-process.js'

export interface RunningDemo {
  /** process.env plus MODEL_GATEWAY_URL, MODEL_GATEWAY_ADMIN_URL and MODEL_GATEWAY_TOKEN as printed. */
  env: NodeJS.ProcessEnv
  /** Ctrl-C, as a reader stops it; resolves once it has exited. */
  stop (): Promise<void>
}

export async function startDemo (readyTimeoutMs = 90_000): Promise<RunningDemo> {
  const demo = spawn(process.execPath, [join(repoRoot(), 'dist', 'scripts', 'demo.js')], { cwd: repoRoot(), env: { ...process.env, DEMO_PORT: '0', DEMO_ADMIN_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  demo.stderr!.setEncoding('utf8').on('data', (c: string) => { err += c })
  const exports = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { demo.kill('SIGINT'); reject(new Error(`the demo printed no export line in ${readyTimeoutMs} ms: ${err}`)) }, readyTimeoutMs)
    createInterface({ input: demo.stdout! }).on('line', (line) => {
      if (line.trim().startsWith('export MODEL_GATEWAY_URL=')) { clearTimeout(timer); resolve(line.trim()) }
    })
    demo.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the demo exited (${code}): ${err}`)) })
  })
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const [, k, v] of exports.matchAll(/(\w+)=(\S+)/g)) env[k!] = v!
  return {
    env,
    async stop () {
      if (demo.exitCode !== null || demo.signalCode !== null) return
      const done = new Promise(resolve => demo.once('exit', resolve))
      demo.kill('SIGINT')
      await done
    }
  }
}
