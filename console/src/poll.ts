// Polls a loader every `everyMs`, counted from the start of each call (a fixed
// cadence, so a call's own time does not stretch the period); a call never
// starts before the previous one ended, so a slow gateway is never stacked up.
import { useEffect, useRef, useState } from 'preact/hooks'

export interface Polled<T> { data: T | null, error: Error | null, updates: number, reload: () => void }

export function usePoll<T> (load: () => Promise<T>, everyMs: number, deps: unknown[] = []): Polled<T> {
  const [state, setState] = useState<{ data: T | null, error: Error | null, updates: number }>({ data: null, error: null, updates: 0 })
  const kick = useRef<() => void>(() => {})
  useEffect(() => {
    let stopped = false
    let busy = false
    let again = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const run = async (): Promise<void> => {
      if (busy) { again = true; return }
      busy = true
      clearTimeout(timer)
      const started = performance.now()
      try {
        const data = await load()
        if (!stopped) setState(s => ({ data, error: null, updates: s.updates + 1 }))
      } catch (err) {
        if (!stopped) setState(s => ({ ...s, error: err as Error, updates: s.updates + 1 }))
      }
      busy = false
      if (stopped) return
      if (again) { again = false; void run(); return }
      timer = setTimeout(() => { void run() }, Math.max(0, everyMs - (performance.now() - started)))
    }
    kick.current = () => { void run() }
    void run()
    return () => { stopped = true; clearTimeout(timer) }
  }, deps)
  return { ...state, reload: () => kick.current() }
}
