/**
 * Holds one of Node's nextTick records for the life of the process, so that
 * every later record shares its shapes.
 *
 * process.nextTick builds each record as an object literal with two symbol
 * keys, `callback` and `args`. V8's inline caches for that literal remember
 * the record's shapes (maps) weakly. When garbage collections run while no
 * record is alive — start-up does this: loading modules allocates a lot and
 * queues no ticks — the shapes are collected, the next record gets new ones,
 * and three of the four caches, seeing a second shape, turn megamorphic for
 * the life of the process. Every nextTick then makes three runtime calls:
 * about 240 ns instead of 41 ns on the benchmark machine, some 2.5 µs of CPU
 * per proxied request (Node's http server and streams queue about ten ticks a
 * request), in some processes and not in others, depending on when the
 * collections fell. A record that stays alive keeps its shapes alive, and the
 * caches stay monomorphic.
 *
 * Imported first by the entry points, so it runs before the rest is loaded.
 */
import { createHook } from 'node:async_hooks'

let kept: object | null = null

// The record is reachable only from an init hook; the hook is on for this one call.
const hook = createHook({
  init (_id, type, _trigger, resource) {
    if (type === 'TickObject' && kept === null) kept = resource as object
  }
})
hook.enable()
process.nextTick(() => {})
hook.disable()

/** The record held (null if Node did not report one). */
export function keptTickRecord (): object | null {
  return kept
}
