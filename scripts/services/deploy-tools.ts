// Installs, pinned and into .cache/, the two tools the manifest test runs:
// kustomize (Go module, built with the machine's Go) and kubernetes-validate
// (PyPI; it ships the Kubernetes API JSON schemas, so validation needs no
// network at run time, unlike kubeconform, which downloads schemas when it runs).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CACHE_DIR } from './paths.js'
import { which } from './install.js'

export const KUSTOMIZE_VERSION = 'v5.5.0'
export const KUBERNETES_VALIDATE_VERSION = '1.37.0'
/** kubernetes-validate's dependencies, pinned to what 1.37.0 was tested with here. */
const KUBERNETES_VALIDATE_DEPS = [
  'jsonschema==4.26.0', 'jsonschema-specifications==2025.9.1', 'referencing==0.37.0', 'rpds-py==2026.9.1',
  'attrs==26.1.0', 'pyyaml==6.0.4', 'packaging==26.4', 'importlib-resources==7.1.0', 'typing-extensions==4.16.0'
]

const KUSTOMIZE_DIR = join(CACHE_DIR, `kustomize-${KUSTOMIZE_VERSION}`)
const VALIDATE_DIR = join(CACHE_DIR, `kubernetes-validate-${KUBERNETES_VALIDATE_VERSION}`)

function run (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 900_000 })
  if (r.error !== undefined || r.status !== 0) {
    throw new Error(`deploy-tools: '${cmd} ${args.join(' ')}' failed (${r.error?.message ?? `exit ${r.status}`})\n${`${r.stdout}${r.stderr}`.slice(-3000)}`)
  }
}

/** Path of the pinned kustomize binary, building it first if needed (a few minutes, once). */
export function kustomizeBinary (): string {
  const bin = join(KUSTOMIZE_DIR, 'kustomize')
  if (existsSync(bin)) return bin
  if (which('go') === undefined) throw new Error('deploy-tools: go not found; kustomize is built from its Go module (apt-get install -y golang-go, or Go from go.dev)')
  process.stderr.write(`[deploy-tools] building kustomize ${KUSTOMIZE_VERSION} with go install (once)\n`)
  mkdirSync(KUSTOMIZE_DIR, { recursive: true })
  run('go', ['install', `sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}`], { GOBIN: KUSTOMIZE_DIR, GOFLAGS: '-mod=mod' })
  return bin
}

/** The command that runs kubernetes-validate (python3 with PYTHONPATH set), installing it first if needed. */
export function kubernetesValidate (): { cmd: string, env: NodeJS.ProcessEnv } {
  const env = { PYTHONPATH: VALIDATE_DIR }
  if (existsSync(join(VALIDATE_DIR, '.complete'))) return { cmd: 'python3', env }
  if (which('python3') === undefined) throw new Error('deploy-tools: python3 not found (apt-get install -y python3 python3-pip)')
  process.stderr.write(`[deploy-tools] installing kubernetes-validate ${KUBERNETES_VALIDATE_VERSION} from PyPI into ${VALIDATE_DIR}\n`)
  const tmp = `${VALIDATE_DIR}.tmp`
  rmSync(tmp, { recursive: true, force: true })
  run('python3', ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--target', tmp, `kubernetes-validate==${KUBERNETES_VALIDATE_VERSION}`, ...KUBERNETES_VALIDATE_DEPS])
  rmSync(VALIDATE_DIR, { recursive: true, force: true })
  renameSync(tmp, VALIDATE_DIR)
  writeFileSync(join(VALIDATE_DIR, '.complete'), `${new Date().toISOString()}\n`)
  return { cmd: 'python3', env }
}
