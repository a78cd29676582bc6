/** Small statistics helpers for benchmark runs. */

export function median (values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

export function ratio (a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : Number.NaN
}

export function minMax (values: readonly number[]): [number, number] {
  return values.length === 0 ? [Number.NaN, Number.NaN] : [Math.min(...values), Math.max(...values)]
}

/**
 * A distribution-free confidence interval of the median (sign test): the
 * k-th smallest and k-th largest of n values, with the largest k whose
 * coverage 1 - 2 P(Bin(n, 1/2) <= k - 1) is still at least `level`. Fewer
 * than 6 values cannot reach 95%: then min..max, with its lower coverage.
 */
export function medianInterval (values: readonly number[], level = 0.95): { low: number, high: number, level: number } {
  const s = [...values].sort((a, b) => a - b)
  const n = s.length
  if (n === 0) return { low: Number.NaN, high: Number.NaN, level: 0 }
  const coverage = (k: number): number => {
    let tail = 0
    let c = 1 // C(n, j)
    for (let j = 0; j < k; j++) {
      tail += c / 2 ** n
      c = c * (n - j) / (j + 1)
    }
    return 1 - 2 * tail
  }
  let k = 1
  while (k + 1 <= Math.ceil(n / 2) && coverage(k + 1) >= level) k++
  return { low: s[k - 1]!, high: s[n - k]!, level: coverage(k) }
}
