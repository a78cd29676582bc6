// `npm test [-- vitest args]`: services up, vitest with their settings, services
// down (always), then one closing line "N passed, N failed[, N skipped]".
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join, relative } from 'node:path'
import { REPO_ROOT, SERVICES_DIR } from './paths.js'
import { down, up, type ServiceEnv } from './services.js'

const REPORT = join(SERVICES_DIR, 'vitest.json')

interface VitestReport {
  numTotalTests?: number
  numPassedTests?: number
  numFailedTests?: number
  numPendingTests?: number
  numTodoTests?: number
  numFailedTestSuites?: number
  success?: boolean
  testResults?: { name?: string; status?: string; message?: string; assertionResults?: { status?: string }[] }[]
}

function log(msg: string): void {
  process.stderr.write(`[run-tests] ${msg}\n`)
}

let child: ReturnType<typeof spawn> | undefined
let interrupted: NodeJS.Signals | undefined

/** vitest's own entry point (so signals reach it directly), or npx as a fallback. */
function vitestCommand(): { cmd: string; pre: string[] } {
  const entry = join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs')
  return existsSync(entry) ? { cmd: process.execPath, pre: [entry] } : { cmd: 'npx', pre: ['vitest'] }
}

function runVitest(env: ServiceEnv, args: string[]): Promise<number> {
  const vitestArgs = ['run', '--reporter=default', '--reporter=json', `--outputFile=${relative(REPO_ROOT, REPORT)}`, ...args]
  log(`vitest ${vitestArgs.join(' ')}`)
  const { cmd, pre } = vitestCommand()
  return new Promise((resolve) => {
    // Own process group, so an interrupt can reach vitest and its workers together.
    child = spawn(cmd, [...pre, ...vitestArgs], { cwd: REPO_ROOT, stdio: 'inherit', env: { ...process.env, ...env }, detached: true })
    child.once('error', (err) => {
      log(`could not start vitest: ${err.message}`)
      resolve(127)
    })
    child.once('exit', (code, sig) => resolve(code ?? (sig ? 128 : 1)))
  })
}

function signalGroup(sig: NodeJS.Signals): void {
  const pid = child?.pid
  if (pid === undefined || child?.exitCode !== null) return
  try {
    process.kill(-pid, sig)
  } catch {
    child.kill(sig)
  }
}

function onSignal(sig: NodeJS.Signals): void {
  if (interrupted) {
    signalGroup('SIGKILL')
    return
  }
  interrupted = sig
  log(`${sig}: stopping tests, then the services`)
  signalGroup(sig)
  // vitest finishes the running test on an interrupt; do not wait long for it.
  setTimeout(() => signalGroup('SIGKILL'), 5_000).unref()
}

/** Counts from the JSON report; a file that failed to load counts as one failure. */
function summarize(): { passed: number; failed: number; skipped: number } | undefined {
  if (!existsSync(REPORT)) return undefined
  let r: VitestReport
  try {
    r = JSON.parse(readFileSync(REPORT, 'utf8')) as VitestReport
  } catch {
    return undefined
  }
  const passed = r.numPassedTests ?? 0
  let failed = r.numFailedTests ?? 0
  for (const f of r.testResults ?? []) {
    const failedInside = (f.assertionResults ?? []).some((a) => a.status === 'failed')
    if (f.status === 'failed' && !failedInside) failed++
  }
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
  return { passed, failed, skipped }
}

async function main(): Promise<number> {
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  rmSync(REPORT, { force: true })
  let vitestCode = 1
  let upError: string | undefined
  try {
    const env = await up()
    if (!interrupted) vitestCode = await runVitest(env, process.argv.slice(2))
  } catch (e) {
    upError = e instanceof Error ? e.message : String(e)
    log(`services did not come up:\n${upError}`)
  } finally {
    try {
      await down()
    } catch (e) {
      log(`down failed: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
  const s = summarize()
  const problems: string[] = []
  if (upError) problems.push('services did not come up')
  if (interrupted) problems.push(`interrupted by ${interrupted}`)
  if (!upError && !interrupted && !s) problems.push(`vitest wrote no report (exit ${vitestCode})`)
  if (s && s.passed + s.failed === 0) problems.push('no test ran')
  if (vitestCode !== 0 && !upError) problems.push(`vitest exited with ${vitestCode}`)
  const counts = s ?? { passed: 0, failed: 0, skipped: 0 }
  if (problems.length > 0) log(problems.join('; '))
  process.stdout.write(`${counts.passed} passed, ${counts.failed} failed${counts.skipped > 0 ? `, ${counts.skipped} skipped` : ''}\n`)
  const ok = problems.length === 0 && counts.failed === 0 && counts.passed > 0
  return ok ? 0 : interrupted === 'SIGINT' ? 130 : interrupted === 'SIGTERM' ? 143 : 1
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
    process.stdout.write('0 passed, 0 failed\n')
    process.exit(1)
  }
)
