// Figures as operators read them.
export function pct (bp: number): string {
  const p = bp / 100
  return `${Number.isInteger(p) ? p : p.toFixed(2)}%`
}

export function ratio (x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined ? '–' : `${(x * 100).toFixed(digits)}%`
}

export function num (x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '–'
  if (Math.abs(x) >= 1000 || Number.isInteger(x)) return String(Math.round(x))
  return x.toPrecision(3)
}

export function duration (ms: number | null): string {
  if (ms === null) return '–'
  const s = Math.round(ms / 1000)
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`
}

export function clock (at: number | string): string {
  return new Date(at).toLocaleTimeString([], { hour12: false })
}
