// Polls a loader every `everyMs` while the component is mounted; the next call
// starts only after the previous one ended, so a slow gateway is never stacked up.
import { useEffect, useRef, useState } from 'preact/hooks'

export interface Polled<T> { data: T | null, error: Error | null, updates: number, reload: () => void }

export function usePoll<T> (load: () => Promise<T>, everyMs: number, deps: unknown[] = []): Polled<T> {
  const [state, setState] = useState<{ data: T | null, error: Error | null, updates: number }>({ data: null, error: null, updates: 0 })
  const kick = useRef<() => void>(() => {})
  useEffect(() => {
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const run = async (): Promise<void> => {
      clearTimeout(timer)
      try {
        const data = await load()
        if (!stopped) setState(s => ({ data, error: null, updates: s.updates + 1 }))
      } catch (err) {
        if (!stopped) setState(s => ({ ...s, error: err as Error, updates: s.updates + 1 }))
      }
      if (!stopped) timer = setTimeout(() => { void run() }, everyMs)
    }
    kick.current = () => { void run() }
    void run()
    return () => { stopped = true; clearTimeout(timer) }
  }, deps)
  return { ...state, reload: () => kick.current() }
}
