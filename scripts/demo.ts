/**
 * `npm run demo`: the embedded default, with nothing else installed. Starts the
 * example fraud model (v1 stable, v2 canary at 10%, two replicas each; v3 and
 * v4 registered at 0% to release: v3 healthy, v4 answering about one request in three
 * with a 500) as local processes and a gateway on 127.0.0.1:8080 (DEMO_PORT;
 * admin API on DEMO_ADMIN_PORT, 8081) with stickiness on x-user-id, then
 * prints what to paste (docs/demo.md). Ctrl-C stops everything it started.
 */
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, writeFile, rm } from 'node:fs/promises'
import { createWriteStream } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startModel, type ModelProcess } from './processes/model-process.js'
import { repoRoot, spawnReady } from './processes/ready-process.js'

/** 0 = any free port (printed once the gateway listens). */
const PORT = port('DEMO_PORT', 8080)
const ADMIN_PORT = port('DEMO_ADMIN_PORT', 8081)
/** The fault of the candidate that a rollout must roll back: the example model's --error-rate (docs/demo.md). */
const BAD_CANARY_ERROR_RATE = 0.3

function port (name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail(`${name} must be a port number 0..65535, got "${raw}"`)
  return n
}

function fail (message: string): never {
  process.stderr.write(`demo: ${message}\n`)
  process.exit(1)
}

/** Resolves false when something else listens on 127.0.0.1:port. */
function portFree (p: number): Promise<boolean> {
  if (p === 0) return Promise.resolve(true)
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => { resolve(false) })
    srv.listen({ port: p, host: '127.0.0.1', exclusive: true }, () => srv.close(() => { resolve(true) }))
  })
}

async function main (): Promise<void> {
  for (const [name, p] of [['DEMO_PORT', PORT], ['DEMO_ADMIN_PORT', ADMIN_PORT]] as const) {
    if (!(await portFree(p))) fail(`port ${p} on 127.0.0.1 is in use by another process (${name}). Start the demo on free ports, e.g. DEMO_PORT=9080 DEMO_ADMIN_PORT=9081 npm run demo (0 = any free port)`)
  }
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
    // Candidates to release: v3 answers like v1 (a good canary), v4 fails about one request in three (a bad one).
    models.push(await startModel({ version: 'v3', extraArgs: ['--weights', 'v1'] }))
    models.push(await startModel({ version: 'v4', extraArgs: ['--weights', 'v1'], errorRate: BAD_CANARY_ERROR_RATE }))
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
          versions: { v1: { replicas: replicas('v1') }, v2: { replicas: replicas('v2') }, v3: { replicas: replicas('v3') }, v4: { replicas: replicas('v4') } },
          release: {
            strategy: 'canary',
            stable: 'v1',
            canary: 'v2',
            canaryWeight: 1000,
            // What "Start rollout" in the console (or `rollout start`) runs without a plan of its own.
            rollout: { steps: [{ weight: '25%', bake: '1m' }, { weight: '50%', bake: '1m' }], interval: '5s', checks: { errors: {}, latency: {} } }
          },
          healthCheck: { intervalMs: 10_000 },
          sampling: { rate: 0.1, versions: { v2: 1 } },
          // Labels by request id (POST /v2/models/fraud/outcomes), joined to the version that scored it.
          outcomes: { prediction: 'fraud_probability' }
        }
      }
    }
    const configFile = join(dir, 'gateway.json')
    await writeFile(configFile, JSON.stringify(config, null, 2))
    const logFile = join(dir, 'gateway.log')
    const started = await spawnReady<{ event: 'ready', port: number, adminPort: number | null }>(
      join(repoRoot(), 'dist', 'gateway', 'main.js'), ['--config', configFile], { label: 'the gateway', readyTimeoutMs: 20_000 })
      .catch((err: unknown) => {
        // The gateway says what went wrong in its last line (a port taken meanwhile, say).
        const last = (err as Error).message.trimEnd().split('\n').pop() ?? ''
        throw new Error(`the gateway did not start: ${last.replace(/^model-gateway: /, '')}`)
      })
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
    const gw = `http://127.0.0.1:${ready.port}`
    const admin = `http://127.0.0.1:${ready.adminPort ?? ADMIN_PORT}`
    const out = [
      '',
      'model-gateway demo is running.',
      '',
      `  gateway      ${gw}   (fraud: v1 stable 90%, v2 canary 10%, sticky on x-user-id)`,
      `  admin API    ${admin}   token: ${token}`,
      `  console      ${admin}/console/   (sign in with the token above)`,
      `  models       ${models.map(m => `${m.version}@${m.port}`).join('  ')}`,
      '               (v3 and v4 at 0%, to release: v3 answers like v1, v4 fails about 1 request in 3)',
      `  logs         ${logFile}`,
      `  scoring log  ${join(dir, 'scoring-log.ndjson')}`,
      '',
      'Score a transaction (the same x-user-id always gets the same version):',
      '',
      `  curl -s -i ${gw}/v2/models/fraud/infer \\`,
      '    -H \'content-type: application/json\' -H \'x-user-id: alice\' \\',
      `    -d '${body}'`,
      '',
      'Try the canary explicitly:',
      '',
      `  curl -s ${gw}/v2/models/fraud/versions/v2/infer -H 'content-type: application/json' -d '${body}'`,
      '',
      'Operate it (in another terminal):',
      '',
      `  export MODEL_GATEWAY_URL=${gw} MODEL_GATEWAY_ADMIN_URL=${admin} MODEL_GATEWAY_TOKEN=${token}`,
      '  npx model-gateway status',
      '',
      'Release in it (docs/demo.md): traffic in one terminal, a rollout in another:',
      '',
      '  npx model-gateway traffic --rps 50 --users 1000',
      '  npx model-gateway rollout start fraud v3 --plan config/demo/rollout-plan.yaml',
      '  npx model-gateway rollout status fraud',
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
