// Project-owned Python virtual environments for the interop tests: third-party
// OIP v2 servers (MLServer, KServe) and client (tritonclient) from PyPI, pinned
// in requirements files beside this module. Created under .cache/ on first use,
// reused while the requirements and the Python version stay the same.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { CACHE_DIR, INSTALL_LOG_DIR, REPO_ROOT } from './paths.js'

export type PythonEnvName = 'interop-mlserver' | 'interop-kserve'
export const PYTHON_ENV_NAMES: readonly PythonEnvName[] = ['interop-mlserver', 'interop-kserve']

/** MLServer and KServe pin incompatible fastapi/starlette ranges, so each has its own environment. */
const REQUIREMENTS: Record<PythonEnvName, string> = {
  'interop-mlserver': 'interop-mlserver-requirements.txt',
  'interop-kserve': 'interop-kserve-requirements.txt'
}

/** A fresh install downloads ~330 MB (MLServer) / ~450 MB (KServe) of wheels; a busy 2-core machine needs minutes. */
const INSTALL_TIMEOUT_MS = 15 * 60_000
/** How long to wait for another process building the same environment. */
const LOCK_WAIT_MS = INSTALL_TIMEOUT_MS + 60_000
/** Versions older than this lack wheels for the pinned packages. */
const MIN_PYTHON: readonly [number, number] = [3, 10]

export interface PythonEnv {
  name: PythonEnvName
  dir: string
  /** The environment's interpreter: run modules with `python -m` or scripts by path. */
  python: string
}

export const pythonEnvDir = (name: PythonEnvName): string => join(CACHE_DIR, `python-env-${name}`)
export const requirementsFile = (name: PythonEnvName): string => join(REPO_ROOT, 'scripts', 'services', REQUIREMENTS[name])

function log (msg: string): void {
  process.stderr.write(`[python-env] ${msg}\n`)
}

interface RunResult { code: number | null, out: string }

function run (cmd: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' } })
    let out = ''
    const keep = (chunk: Buffer): void => { out = (out + chunk.toString('utf8')).slice(-256 * 1024) }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    const timer = setTimeout(() => {
      out += `\n(killed after ${timeoutMs / 1000} s)\n`
      child.kill('SIGKILL')
    }, timeoutMs)
    child.once('error', (err) => {
      clearTimeout(timer)
      resolve({ code: 127, out: `${out}\n${err.message}` })
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, out })
    })
  })
}

/** Runs a step of the install; its output goes to the install log, a failure throws with the log's tail. */
async function step (logPath: string, cmd: string, args: string[], hint = ''): Promise<string> {
  const r = await run(cmd, args, INSTALL_TIMEOUT_MS)
  writeFileSync(logPath, `$ ${cmd} ${args.join(' ')}\n${r.out}\n`, { flag: 'a' })
  if (r.code !== 0) {
    const tail = r.out.trimEnd().split('\n').slice(-25).join('\n')
    throw new Error(`python-env: '${cmd} ${args.join(' ')}' failed (exit ${r.code}); log: ${logPath}${hint}\n${tail}`)
  }
  return r.out
}

/** The interpreter the environments are built from: python3 on PATH (pyenv's CPython here). */
async function basePython (logPath: string): Promise<{ cmd: string, version: string }> {
  const cmd = 'python3'
  const out = await step(logPath, cmd, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], ' (is python3 on PATH?)')
  const version = out.trim().split('\n').pop() ?? ''
  const [major = 0, minor = 0] = version.split('.').map(Number)
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
    throw new Error(`python-env: python3 is ${version}; the interop environments need Python ${MIN_PYTHON.join('.')} or newer`)
  }
  return { cmd, version }
}

/** What the environment was built from; a change rebuilds it. */
function fingerprint (name: PythonEnvName, pythonVersion: string): string {
  const reqs = readFileSync(requirementsFile(name), 'utf8')
  return `${createHash('sha256').update(reqs).digest('hex')} python ${pythonVersion}\n`
}

function pidAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** A lock folder (mkdir is atomic) so two test processes never build the same environment at once. */
async function withLock<T> (dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${dir}.lock`
  const deadline = Date.now() + LOCK_WAIT_MS
  for (;;) {
    try {
      mkdirSync(lock)
      writeFileSync(join(lock, 'pid'), `${process.pid}\n`)
      break
    } catch {
      const owner = Number.parseInt((() => { try { return readFileSync(join(lock, 'pid'), 'utf8') } catch { return '' } })(), 10)
      if (Number.isInteger(owner) && owner > 0 && !pidAlive(owner)) {
        rmSync(lock, { recursive: true, force: true })
        continue
      }
      if (Date.now() > deadline) throw new Error(`python-env: ${lock} held by pid ${owner} for over ${LOCK_WAIT_MS / 1000} s`)
      await sleep(500)
    }
  }
  try {
    return await fn()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

const marker = (dir: string): string => join(dir, '.complete')

/**
 * The environment, created with `python3 -m venv` and `pip install -r` when it is
 * missing, half-built or built from other requirements. Quick when present: one
 * `python3 --version`-like call and a file comparison.
 */
export async function ensurePythonEnv (name: PythonEnvName): Promise<PythonEnv> {
  const dir = pythonEnvDir(name)
  const env: PythonEnv = { name, dir, python: join(dir, 'bin', 'python') }
  mkdirSync(INSTALL_LOG_DIR, { recursive: true })
  const logPath = join(INSTALL_LOG_DIR, `python-env-${name}.log`)
  const { cmd, version } = await basePython(logPath)
  const want = fingerprint(name, version)
  const current = (): boolean => existsSync(env.python) && existsSync(marker(dir)) && readFileSync(marker(dir), 'utf8') === want
  if (current()) return env
  return withLock(dir, async () => {
    if (current()) return env
    const t0 = Date.now()
    log(`${name}: creating ${dir} with Python ${version} from ${requirementsFile(name)} (first run only; log: ${logPath})`)
    rmSync(dir, { recursive: true, force: true })
    writeFileSync(logPath, `=== ${new Date().toISOString()} ${name}\n`)
    await step(logPath, cmd, ['-m', 'venv', dir], ' (on Debian without pyenv: apt-get install -y python3-venv)')
    await step(logPath, env.python, ['-m', 'pip', 'install', '--no-input', '-q', '-r', requirementsFile(name)])
    writeFileSync(marker(dir), want)
    log(`${name}: ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    return env
  })
}
