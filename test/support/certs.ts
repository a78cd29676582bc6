/**
 * Test certificates made with the openssl command line at test time, in a
 * temporary folder the caller removes: a CA, and server or client
 * certificates it signs (server ones for 127.0.0.1 and localhost).
 */
import { execFile } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface CertFiles {
  cert: string
  key: string
}

export interface TestCa extends CertFiles {
  dir: string
  /** Signs a certificate for `name`: a server one (SAN 127.0.0.1, localhost) or a client one. */
  issue (name: string, kind?: 'server' | 'client'): Promise<CertFiles>
  remove (): Promise<void>
}

async function openssl (args: string[]): Promise<void> {
  await run('openssl', args, { timeout: 60_000 })
}

/** A new CA in a new temporary folder. */
export async function makeCa (label = 'test-ca'): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), 'gateway-certs-'))
  const ca = { cert: join(dir, `${label}.crt`), key: join(dir, `${label}.key`) }
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', `/CN=${label}`, '-keyout', ca.key, '-out', ca.cert])
  let serial = 0
  return {
    dir,
    ...ca,
    async issue (name: string, kind: 'server' | 'client' = 'server') {
      const base = join(dir, `${name}-${++serial}`)
      const out = { cert: `${base}.crt`, key: `${base}.key` }
      const ext = `${base}.ext`
      await writeFile(ext, kind === 'server'
        ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
        : 'extendedKeyUsage=clientAuth\n')
      await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`, '-keyout', out.key, '-out', `${base}.csr`])
      await openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', out.cert])
      return out
    },
    remove: () => rm(dir, { recursive: true, force: true })
  }
}

/** Replaces `target`'s files with `source`'s, each by an atomic rename (as a secret updater does). */
export async function replaceCert (source: CertFiles, target: CertFiles): Promise<void> {
  for (const f of ['key', 'cert'] as const) {
    const tmp = `${target[f]}.new`
    await writeFile(tmp, await readFile(source[f]))
    await rename(tmp, target[f])
  }
}

/** SHA-256 fingerprint of a PEM certificate file, as node's peer certificates give it (AA:BB:…). */
export async function fingerprintOf (certFile: string): Promise<string> {
  return new X509Certificate(await readFile(certFile)).fingerprint256
}

