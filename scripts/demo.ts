/**
 * `npm run demo`: the embedded default, with nothing else installed. Starts the
 * example fraud model (v1 stable, v2 canary at 10%, two replicas each) as local
 * processes and a gateway on 127.0.0.1:8080 with stickiness on x-user-id, then
 * prints a curl to paste. Ctrl-C stops everything it started.
 */
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, writeFile, rm } from 'node:fs/promises'
import { createWriteStream } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startModel, type ModelProcess } from './processes/model-process.js'
import { repoRoot, spawnReady } from './processes/ready-process.js'

const PORT = Number(process.env.DEMO_PORT ?? 8080)
const ADMIN_PORT = Number(process.env.DEMO_ADMIN_PORT ?? 8081)

async function main (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'model-gateway-demo-'))
  const models: ModelProcess[] = []
  let gateway: ChildProcess | undefined
  let stopping = false
  const stopAll = async (code: number): Promise<void> => {
    if (stopping) return
    stopping = true
    if (gateway !== undefined && gateway.exitCode === null) {
      const exited = new Promise(resolve => gateway!.once('exit', resolve))
      gateway.kill('SIGTERM')
      await exited
    }
    await Promise.allSettled(models.map(m => m.stop()))
    await rm(dir, { recursive: true, force: true })
    process.exit(code)
  }
  process.on('SIGINT', () => { void stopAll(0) })
  process.on('SIGTERM', () => { void stopAll(0) })

  try {
    for (const version of ['v1', 'v1', 'v2', 'v2']) models.push(await startModel({ version }))
    const token = randomBytes(18).toString('base64url')
    const replicas = (v: string) => models.filter(m => m.version === v).map(m => m.url)
    const config = {
      gateway: { host: '127.0.0.1', port: PORT },
      admin: { host: '127.0.0.1', port: ADMIN_PORT, tokens: [{ name: 'demo', token, role: 'admin' }] },
      state: { store: 'memory', file: join(dir, 'state.json') },
      logging: { sink: 'file', file: join(dir, 'scoring-log.ndjson') },
      models: {
        fraud: {
          sticky: { header: 'x-user-id' },
          allowVersionHeader: true,
          fallbackToStable: true,
          versions: { v1: { replicas: replicas('v1') }, v2: { replicas: replicas('v2') } },
          release: {
            strategy: 'canary',
            stable: 'v1',
            canary: 'v2',
            canaryWeight: 1000,
            // What "Start rollout" in the console (or `rollout start`) runs without a plan of its own.
            rollout: { steps: [{ weight: '25%', bake: '1m' }, { weight: '50%', bake: '1m' }], interval: '5s', checks: { errors: {}, latency: {} } }
          },
          healthCheck: { intervalMs: 10_000 },
          sampling: { rate: 0.1, versions: { v2: 1 } }
        }
      }
    }
    const configFile = join(dir, 'gateway.json')
    await writeFile(configFile, JSON.stringify(config, null, 2))
    const logFile = join(dir, 'gateway.log')
    const started = await spawnReady<{ event: 'ready', port: number, adminPort: number | null }>(
      join(repoRoot(), 'dist', 'gateway', 'main.js'), ['--config', configFile], { label: 'the gateway', readyTimeoutMs: 20_000 })
    gateway = started.child
    const ready = started.ready
    // The gateway's log goes to a file; the terminal keeps the instructions.
    const log = createWriteStream(logFile)
    log.write(started.stderr())
    gateway.stderr!.pipe(log)
    gateway.once('exit', code => {
      if (!stopping) {
        process.stderr.write(`the gateway exited (code ${code}); see ${logFile}\n`)
        void stopAll(1)
      }
    })

    const body = '{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP64","data":[950.0,12,9,420.5]}]}'
    const out = [
      '',
      'model-gateway demo is running.',
      '',
      `  gateway      http://127.0.0.1:${ready.port}   (fraud: v1 stable 90%, v2 canary 10%, sticky on x-user-id)`,
      `  admin API    http://127.0.0.1:${ready.adminPort ?? '-'}   token: ${token}`,
      `  console      http://127.0.0.1:${ready.adminPort ?? '-'}/console/   (sign in with the token above)`,
      `  models       ${models.map(m => `${m.version}@${m.port}`).join('  ')}`,
      `  logs         ${logFile}`,
      `  scoring log  ${join(dir, 'scoring-log.ndjson')}`,
      '',
      'Score a transaction (the same x-user-id always gets the same version):',
      '',
      `  curl -s -i http://127.0.0.1:${ready.port}/v2/models/fraud/infer \\`,
      '    -H \'content-type: application/json\' -H \'x-user-id: alice\' \\',
      `    -d '${body}'`,
      '',
      'Try the canary explicitly:',
      '',
      `  curl -s http://127.0.0.1:${ready.port}/v2/models/fraud/versions/v2/infer -H 'content-type: application/json' -d '${body}'`,
      '',
      'Operate it:',
      '',
      `  export MODEL_GATEWAY_ADMIN_URL=http://127.0.0.1:${ready.adminPort ?? ADMIN_PORT} MODEL_GATEWAY_TOKEN=${token}`,
      '  node dist/gateway/cli/main.js status',
      '',
      'Ctrl-C stops the gateway and the models.',
      ''
    ]
    process.stdout.write(out.join('\n'))
  } catch (err) {
    process.stderr.write(`demo: ${(err as Error).message}\n`)
    await stopAll(1)
  }
}

void main()
