// `npm run bench:container`: builds the Dockerfile with buildah (daemonless,
// Debian's package) on a base made only of Debian packages (debootstrap of
// Debian trixie + its nodejs 20.19 and npm; no image registry is reachable
// here), then runs the image with podman the way the README's container
// section does and checks what a Kubernetes deployment needs of it:
//   - the gateway answers through a published port (it listens on 0.0.0.0 inside);
//   - it runs as uid 10001, not root, with a read-only root filesystem (--read-only);
//   - the same image runs `sink --help` and `migrate --help` (CLI entrypoint).
// Slow (first run 6-10 min: debootstrap, base image commit, npm ci in the
// build; later runs reuse the base), so it lives here and not in `npm test`.
// Exits non-zero on the first failed check; prints timings.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { aptInstall, which } from '../scripts/services/install.js'
import { CACHE_DIR, REPO_ROOT } from '../scripts/services/paths.js'

const SUITE = 'trixie'
const MIRROR = 'http://deb.debian.org/debian'
const BASE = `localhost/model-gateway-base:${SUITE}`
const IMAGE = 'localhost/model-gateway:bench'
const ROOTFS = join(CACHE_DIR, 'container', `rootfs-${SUITE}`)
const NAME = `mg-container-bench-${process.pid}`
const CA_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt']

function sh (cmd: string, args: string[], opts: { input?: string, allowFail?: boolean, quiet?: boolean } = {}): SpawnSyncReturns<string> {
  if (opts.quiet !== true) process.stderr.write(`$ ${cmd} ${args.join(' ')}\n`)
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: opts.input, maxBuffer: 256 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] })
  if (opts.allowFail !== true && (r.error !== undefined || r.status !== 0)) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${`${r.stdout}${r.stderr}`.slice(-4000)}`)
  }
  return r
}

function check (what: string, ok: boolean, detail: string): void {
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail === '' ? '' : `: ${detail}`}\n`)
  if (!ok) process.exitCode = 1
}

async function timed<T> (label: string, timings: Array<[string, number]>, fn: () => T | Promise<T>): Promise<T> {
  const t0 = Date.now()
  const v = await fn()
  timings.push([label, (Date.now() - t0) / 1000])
  return v
}

/**
 * What `podman run` needs on this machine, found by trying: crun (podman's
 * default) fails with "cgroups in hybrid mode not supported", runc works; and
 * podman's default rlimits exceed what the sandbox may set ("setrlimit
 * RLIMIT_NOFILE / RLIMIT_NPROC: Operation not permitted"), so they are set to
 * the current limit (nofile) and a modest 4096 (nproc).
 */
function podmanRun (): string[] {
  const limits = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim()
  const nofile = /^\d+$/.test(limits) ? limits : '1024'
  return ['--runtime', 'runc', 'run', '--ulimit', `nofile=${nofile}:${nofile}`, '--ulimit', 'nproc=4096:4096']
}

function tools (): void {
  const missing = [['buildah', 'buildah'], ['podman', 'podman'], ['debootstrap', 'debootstrap'], ['runc', 'runc']].filter(([bin]) => which(bin!) === undefined).map(([, pkg]) => pkg!)
  if (missing.length > 0) aptInstall(missing)
}

function rootfs (): void {
  if (existsSync(join(ROOTFS, '.complete'))) return
  mkdirSync(join(CACHE_DIR, 'container'), { recursive: true })
  sh('rm', ['-rf', ROOTFS])
  sh('debootstrap', ['--variant=minbase', SUITE, ROOTFS, MIRROR])
  // --include cannot resolve npm's dependency tree; apt inside the new root can.
  sh('cp', ['/etc/resolv.conf', join(ROOTFS, 'etc', 'resolv.conf')])
  sh('chroot', [ROOTFS, 'sh', '-c', 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm ca-certificates && apt-get clean && rm -rf /var/lib/apt/lists/*'])
  writeFileSync(join(ROOTFS, '.complete'), `${new Date().toISOString()}\n`)
}

function baseImage (): void {
  if (sh('buildah', ['inspect', '--type', 'image', BASE], { allowFail: true, quiet: true }).status === 0) return
  const ctr = sh('buildah', ['from', 'scratch']).stdout.trim()
  try {
    const mnt = sh('buildah', ['mount', ctr]).stdout.trim()
    sh('cp', ['-a', `${ROOTFS}/.`, `${mnt}/`])
    sh('rm', ['-f', join(mnt, '.complete')])
    sh('buildah', ['umount', ctr])
    sh('buildah', ['config', '--env', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', '--cmd', '/bin/sh', ctr])
    sh('buildah', ['commit', ctr, BASE])
  } finally {
    sh('buildah', ['rm', ctr], { allowFail: true })
  }
}

async function httpStatus (url: string): Promise<number> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).status
  } catch {
    return 0
  }
}

async function main (): Promise<void> {
  const timings: Array<[string, number]> = []
  tools()
  await timed('debootstrap rootfs (cached)', timings, rootfs)
  await timed('base image (cached)', timings, baseImage)
  // --network host: the build's `npm ci` reaches the npm registry; --isolation
  // chroot: no nested user namespaces needed. The host's CA bundle goes into
  // the RUN steps, for hosts that reach the registry through a TLS-inspecting
  // proxy whose CA only the host trusts (this one does).
  const ca = CA_BUNDLES.find(existsSync)
  const caMount = ca === undefined ? [] : ['-v', `${ca}:/etc/ssl/certs/ca-certificates.crt:ro`]
  await timed('buildah bud', timings, () => sh('buildah', ['bud', '--isolation', 'chroot', '--network', 'host', '--layers=false', ...caMount, '--build-arg', `BASE_IMAGE=${BASE}`, '-t', IMAGE, REPO_ROOT]))
  const size = sh('podman', ['image', 'inspect', '--format', '{{.Size}}', IMAGE], { allowFail: true, quiet: true }).stdout.trim()

  // As in the README: data port published, admin port published on loopback only, read-only root.
  const port = 20000 + Math.floor(Math.random() * 20000)
  sh('podman', [...podmanRun(), '-d', '--rm', '--name', NAME, '--read-only', '-p', `127.0.0.1:${port}:8080`, '-p', `127.0.0.1:${port + 1}:8081`,
    '-e', 'MODEL_GATEWAY_ADMIN_TOKEN=bench-admin-token-0123456789', IMAGE])
  try {
    const t0 = Date.now()
    let live = 0
    while (Date.now() - t0 < 30_000 && (live = await httpStatus(`http://127.0.0.1:${port}/v2/health/live`)) !== 200) await sleep(200)
    timings.push(['start to live through the published port', (Date.now() - t0) / 1000])
    check('GET /v2/health/live through the published data port', live === 200, `status ${live}`)
    const metrics = await fetch(`http://127.0.0.1:${port + 1}/metrics`, { headers: { authorization: 'Bearer bench-admin-token-0123456789' } }).then(r => r.status, () => 0)
    check('GET /metrics through the admin port published on 127.0.0.1', metrics === 200, `status ${metrics}`)
    const uid = sh('podman', ['exec', NAME, 'node', '-e', 'process.stdout.write(String(process.getuid()))'], { allowFail: true }).stdout.trim()
    check('the process runs as uid 10001', uid === '10001', `uid ${uid}`)
    const write = sh('podman', ['exec', NAME, 'node', '-e', 'require("fs").writeFileSync("/app/x", "")'], { allowFail: true })
    check('the root filesystem is read-only', write.status !== 0 && /EROFS|read-only/i.test(write.stderr), write.stderr.split('\n').find(l => /Error/.test(l)) ?? `exit ${write.status}`)
    const tmp = sh('podman', ['exec', NAME, 'node', '-e', 'require("fs").writeFileSync("/tmp/x", "")'], { allowFail: true })
    check('/tmp is writable (a tmpfs with --read-only)', tmp.status === 0, `exit ${tmp.status}`)
    // The docs' one spelling works inside the image too (kubectl exec … -- npx model-gateway status).
    for (const spelling of [['npx', 'model-gateway'], ['model-gateway']]) {
      const r = sh('podman', ['exec', '-e', 'MODEL_GATEWAY_TOKEN=bench-admin-token-0123456789', NAME, ...spelling, 'status'], { allowFail: true })
      check(`\`${spelling.join(' ')} status\` runs in the container`, r.status === 0 && /^MODEL\s+VERSION/m.test(r.stdout), `exit ${r.status}: ${r.stderr.split('\n')[0] ?? ''}`)
    }
  } finally {
    sh('podman', ['--runtime', 'runc', 'stop', '-t', '15', NAME], { allowFail: true })
  }
  for (const cmd of ['sink', 'migrate']) {
    const r = sh('podman', [...podmanRun(), '--rm', '--read-only', IMAGE, cmd, '--help'], { allowFail: true })
    check(`the same image runs \`${cmd} --help\``, r.status === 0 && r.stdout.includes(`usage: npx model-gateway ${cmd}`), `exit ${r.status}`)
  }
  process.stdout.write(`\nimage ${IMAGE} on ${BASE}${size === '' ? '' : `, ${(Number(size) / 1e6).toFixed(0)} MB`}\n`)
  for (const [label, s] of timings) process.stdout.write(`${label.padEnd(44)} ${s.toFixed(1)} s\n`)
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:container: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
