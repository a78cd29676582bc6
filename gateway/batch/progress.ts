/**
 * Progress of a batch job: a bar redrawn in place on a terminal, JSON lines
 * otherwise (a Job's log), both on stderr. Rows/s and the ETA come from the
 * input bytes done, since the row count of a file is not known in advance.
 */
export type ProgressMode = 'bar' | 'json' | 'off'

export interface ProgressState {
  rows: number
  rejects: number
  retries: number
  /** Input bytes of this partition done, and in all. */
  bytesDone: number
  bytesTotal: number
}

const BAR_WIDTH = 24

export class Progress {
  readonly #mode: ProgressMode
  readonly #write: (text: string) => void
  readonly #startedAt = Date.now()
  readonly #startRows: number
  readonly #startBytes: number

  constructor (mode: ProgressMode, write: (text: string) => void, start: { rows: number, bytesDone: number }) {
    this.#mode = mode
    this.#write = write
    this.#startRows = start.rows
    this.#startBytes = start.bytesDone
  }

  show (s: ProgressState, final = false): void {
    if (this.#mode === 'off') return
    const elapsedS = Math.max(1e-3, (Date.now() - this.#startedAt) / 1000)
    const rate = (s.rows - this.#startRows) / elapsedS
    const byteRate = (s.bytesDone - this.#startBytes) / elapsedS
    const fraction = s.bytesTotal === 0 ? 1 : Math.min(1, s.bytesDone / s.bytesTotal)
    const etaS = final ? 0 : byteRate > 0 ? (s.bytesTotal - s.bytesDone) / byteRate : undefined
    if (this.#mode === 'json') {
      this.#write(`${JSON.stringify({
        event: final ? 'done' : 'progress',
        rows: s.rows,
        rejects: s.rejects,
        retries: s.retries,
        percent: Math.round(fraction * 1000) / 10,
        rowsPerSecond: Math.round(rate),
        etaSeconds: etaS === undefined ? null : Math.round(etaS)
      })}\n`)
      return
    }
    const filled = Math.round(fraction * BAR_WIDTH)
    const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`
    const line = `${bar} ${(fraction * 100).toFixed(1).padStart(5)}%  ${s.rows.toLocaleString('en-US')} rows  ` +
      `${Math.round(rate).toLocaleString('en-US')} rows/s  ETA ${formatDuration(etaS)}  rejects ${s.rejects.toLocaleString('en-US')}` +
      (s.retries > 0 ? `  retries ${s.retries}` : '')
    this.#write(`\r\u001b[2K${line}${final ? '\n' : ''}`)
  }
}

export function formatDuration (seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '--:--'
  const s = Math.round(seconds)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const pad = (n: number): string => String(n).padStart(2, '0')
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`
}
