/**
 * TLS certificates and keys from files, for any listener (data plane, admin
 * API, gRPC) or client (model replicas). Read once at start; read again when a
 * file changes (the folder is watched, so an atomic rename or a Kubernetes
 * secret's symlink swap is seen too) or when reload() is called (SIGHUP). A
 * listener gets the new secure context with setSecureContext: new connections
 * present the new certificate, open ones keep theirs, none is dropped. A
 * rotation that does not load (a file half written, a key that does not match
 * its certificate) is logged and the running material stays.
 *
 * This folder imports nothing of the gateway, so any layer may use it.
 */
import { createHash } from 'node:crypto'
import { watch, type FSWatcher } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename, dirname, resolve } from 'node:path'
import { createSecureContext, type SecureContextOptions, type Server as TlsServer } from 'node:tls'

/** Paths of PEM files. A listener needs cert and key; a client may give ca and/or cert + key. */
export interface TlsFiles {
  cert?: string | undefined
  key?: string | undefined
  ca?: string | undefined
}

/** The files' contents, and a fingerprint that tells a changed set from an unchanged one. */
export interface TlsContents {
  cert?: Buffer
  key?: Buffer
  ca?: Buffer
  fingerprint: string
}

/** A file that cannot be read, or contents that do not make a TLS context. `field` is cert, key, ca or '' (the set). */
export class TlsFileError extends Error {
  constructor (readonly field: string, readonly file: string, readonly reason: string) {
    super(`${field === '' ? 'TLS files' : `TLS ${field} file ${file}`}: ${reason}`)
    this.name = 'TlsFileError'
  }
}

/** What the material reports; a pino logger fits. */
export interface TlsLog {
  info (obj: object, msg: string): void
  warn (obj: object, msg: string): void
}

const FIELDS = ['cert', 'key', 'ca'] as const
/** Editors and secret updaters write several files in a row; reload once they are quiet. */
export const WATCH_DEBOUNCE_MS = 200

/** Reads the named files and checks that they make a TLS context (e.g. the key matches the certificate). */
export async function readTlsFiles (files: TlsFiles): Promise<TlsContents> {
  if ((files.cert === undefined) !== (files.key === undefined)) throw new TlsFileError(files.cert === undefined ? 'cert' : 'key', '', 'cert and key go together: give both or neither')
  const out: TlsContents = { fingerprint: '' }
  const hash = createHash('sha256')
  for (const f of FIELDS) {
    const path = files[f]
    if (path === undefined) continue
    let data: Buffer
    try {
      data = await readFile(path)
    } catch (err) {
      throw new TlsFileError(f, path, `cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
    }
    if (data.length === 0) throw new TlsFileError(f, path, 'is empty')
    out[f] = data
    hash.update(f).update(data)
  }
  try {
    createSecureContext(secureOptions(out))
  } catch (err) {
    throw new TlsFileError('', '', `${describe(err)} (${Object.values(files).filter(p => p !== undefined).join(', ')})`)
  }
  out.fingerprint = hash.digest('hex').slice(0, 16)
  return out
}

/** The contents as node:tls options (no fingerprint). */
export function secureOptions (c: TlsContents): SecureContextOptions {
  const o: SecureContextOptions = {}
  if (c.cert !== undefined) o.cert = c.cert
  if (c.key !== undefined) o.key = c.key
  if (c.ca !== undefined) o.ca = c.ca
  return o
}

/** TLS material that follows its files. */
export class TlsMaterial {
  readonly #files: TlsFiles
  readonly #label: string
  readonly #log: TlsLog | undefined
  #current: TlsContents
  #listeners: Array<(c: TlsContents) => void> = []
  #watchers: FSWatcher[] = []
  #timer: NodeJS.Timeout | undefined
  #reloading: Promise<boolean> | undefined

  private constructor (files: TlsFiles, label: string, current: TlsContents, log: TlsLog | undefined) {
    this.#files = files
    this.#label = label
    this.#current = current
    this.#log = log
  }

  /** Reads the files once; rejects with TlsFileError when they do not load. `label` names the material in logs. */
  static async load (files: TlsFiles, label: string, log?: TlsLog): Promise<TlsMaterial> {
    return new TlsMaterial(files, label, await readTlsFiles(files), log)
  }

  get contents (): TlsContents {
    return this.#current
  }

  /** Options for https.createServer / tls.createServer / a TLS client. */
  get options (): SecureContextOptions {
    return secureOptions(this.#current)
  }

  /** Called with the new contents after each change that loaded. Returns an unsubscribe function. */
  onChange (listener: (c: TlsContents) => void): () => void {
    this.#listeners.push(listener)
    return () => { this.#listeners = this.#listeners.filter(l => l !== listener) }
  }

  /** The server presents the current certificate to every new connection from now on. */
  attach (server: TlsServer): void {
    this.onChange(() => { server.setSecureContext(this.options) })
  }

  /**
   * Reads the files again; resolves true when they changed and loaded. A set
   * that does not load is logged and kept out (false).
   */
  reload (): Promise<boolean> {
    this.#reloading ??= this.#reloadOnce().finally(() => { this.#reloading = undefined })
    return this.#reloading
  }

  /** Reloads whenever something changes in the folders of the files. */
  watch (): this {
    const dirs = new Set(FIELDS.flatMap(f => this.#files[f] === undefined ? [] : [dirname(resolve(this.#files[f]))]))
    for (const dir of dirs) {
      try {
        const w = watch(dir, { persistent: false }, () => {
          clearTimeout(this.#timer)
          this.#timer = setTimeout(() => { void this.reload() }, WATCH_DEBOUNCE_MS)
          this.#timer.unref()
        })
        w.on('error', (err) => { this.#log?.warn({ tls: this.#label, dir, err: err.message }, 'watching TLS files failed; reload on SIGHUP only') })
        this.#watchers.push(w)
      } catch (err) {
        this.#log?.warn({ tls: this.#label, dir, err: (err as Error).message }, 'cannot watch TLS files; reload on SIGHUP only')
      }
    }
    return this
  }

  close (): void {
    clearTimeout(this.#timer)
    for (const w of this.#watchers) w.close()
    this.#watchers = []
    this.#listeners = []
  }

  async #reloadOnce (): Promise<boolean> {
    let next: TlsContents
    try {
      next = await readTlsFiles(this.#files)
    } catch (err) {
      this.#log?.warn({ tls: this.#label, reason: (err as Error).message }, 'TLS files do not load; the running certificate stays')
      return false
    }
    if (next.fingerprint === this.#current.fingerprint) return false
    this.#current = next
    for (const l of this.#listeners) l(next)
    this.#log?.info({ tls: this.#label, fingerprint: next.fingerprint, files: FIELDS.filter(f => this.#files[f] !== undefined).map(f => basename(this.#files[f]!)) }, 'TLS certificate reloaded; new connections use it')
    return true
  }
}

function describe (err: unknown): string {
  const e = err as Error & { code?: string }
  if (/key values mismatch/i.test(e.message)) return 'the key does not belong to the certificate'
  return e.code === undefined ? e.message : `${e.message} (${e.code})`
}
