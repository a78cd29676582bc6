/**
 * The connections health probes go out on, with their sockets reused.
 *
 * A probe to a replica that closes idle connections before the next probe
 * (Node's and uvicorn's 5 s default against a 60 s interval) needs a fresh
 * connection every time. A new `net.Socket` per probe, with its stream states,
 * listeners and closures, was most of a probe's garbage, and after the start-up
 * burst (thousands of first probes at once, their sockets alive across young
 * collections) V8 allocated those objects straight in the old generation, so
 * every probe's socket waited for a full mark-compact (bench/scale.ts: the
 * collector was a quarter of a probe's CPU). Node lets a socket connect again
 * once it has emitted 'close' (the `socket.connect()` docs), so closed plain
 * sockets wait in a small pool and the next fresh connection of any target
 * takes one: the listeners are attached once, and reads land in one shared
 * buffer (the `onread` option) instead of a new Buffer per read. TLS
 * connections are made fresh each time.
 */
import { connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls'
import { MAX_CONCURRENT_PROBES } from './probe-slots.js'

/** What a connection reports to the probe that holds it. */
export interface ProbeConnHandler {
  /** Connected (after the TLS handshake for TLS). */
  onConnect (): void
  /** Bytes read; for a pooled socket a view of the shared read buffer, valid only during the call (copy what is kept). */
  onData (chunk: Buffer): void
  /** The replica ended the connection, or it failed (`code` of the error). */
  onEnd (errorCode: string | null): void
}

/**
 * Every pooled socket reads into this one buffer: libuv fills it and the
 * callback runs before the next read of any socket, and no handler keeps it.
 */
const readBuffer = Buffer.allocUnsafe(64 * 1024)

export class ProbeConn {
  readonly socket: Socket
  readonly #pool: ProbeSocketPool | null
  #handler: ProbeConnHandler | null = null

  constructor (socket: Socket, pool: ProbeSocketPool | null) {
    this.socket = socket
    this.#pool = pool
    socket.on(pool === null ? 'secureConnect' : 'connect', () => { this.#handler?.onConnect() })
    if (pool === null) socket.on('data', (chunk: Buffer) => { this.#handler?.onData(chunk) })
    socket.on('end', () => { this.#handler?.onEnd(null) })
    socket.on('error', (err: NodeJS.ErrnoException) => { this.#handler?.onEnd(err.code ?? err.message) })
    socket.on('close', () => {
      this.#handler?.onEnd(null)
      this.#handler = null
      this.#pool?.put(this)
    })
  }

  /** Called by the pool's read callback. */
  read (chunk: Buffer): void {
    this.#handler?.onData(chunk)
  }

  /** `connect`: false for a socket made connecting; true to connect a pooled one again. */
  start (handler: ProbeConnHandler, host: string, port: number, connect: boolean): void {
    this.#handler = handler
    if (connect) this.socket.connect(port, host)
  }

  /** Ends the connection; nothing more reaches the handler. */
  release (): void {
    this.#handler = null
    this.socket.destroy()
  }
}

export class ProbeSocketPool {
  readonly #idle: ProbeConn[] = []
  readonly #max: number

  constructor (max = MAX_CONCURRENT_PROBES) {
    this.#max = max
  }

  /** A connection to host:port whose events go to `handler`; `tls` non-null makes a TLS one. */
  open (handler: ProbeConnHandler, host: string, port: number, tls: ConnectionOptions | null): ProbeConn {
    const idle = tls === null ? this.#idle.pop() : undefined
    if (idle !== undefined) {
      idle.start(handler, host, port, true)
      return idle
    }
    const conn = tls === null ? this.#make(host, port) : new ProbeConn(tlsConnect({ ...tls, host, port }), null)
    conn.start(handler, host, port, false)
    return conn
  }

  /** A socket that emitted 'close' may connect again. */
  put (conn: ProbeConn): void {
    if (this.#idle.length < this.#max) this.#idle.push(conn)
  }

  #make (host: string, port: number): ProbeConn {
    // The read callback runs only after the connection opens, when conn is set.
    const conn: ProbeConn = new ProbeConn(netConnect({
      host,
      port,
      onread: {
        buffer: readBuffer,
        // The bytes are in readBuffer itself; true keeps the socket reading.
        callback: (n) => {
          conn.read(readBuffer.subarray(0, n))
          return true
        }
      }
    }), this)
    return conn
  }
}

/** The process's pool: probes of every checker share it. */
export const probeSockets = new ProbeSocketPool()
