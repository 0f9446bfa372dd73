/**
 * Longest increasing subsequence, the heart of the keyed reorder: the children
 * whose old positions form an LIS of the new order can stay where they are,
 * and moving every other one is the fewest moves that sorts the list.
 */

/**
 * Returns the positions (ascending) of one longest strictly increasing
 * subsequence of `seq`, ignoring entries that are negative (children that are
 * new and have no old position). O(n log n): patience sorting with
 * predecessor links, as in Inferno and Vue 3.
 *
 * @example
 * lis([2, 0, 1, 3])     // [1, 2, 3]  (values 0, 1, 3)
 * lis([3, -1, 1, 2])    // [2, 3]
 */
export function lis(seq: ArrayLike<number>): number[] {
  const n = seq.length;
  const prev = new Int32Array(n);
  // tails[k] = position of the smallest value ending an increasing run of length k + 1
  const tails = new Int32Array(n);
  let len = 0;
  for (let i = 0; i < n; i++) {
    const v = seq[i]!;
    if (v < 0) continue;
    if (len === 0 || seq[tails[len - 1]!]! < v) {
      prev[i] = len > 0 ? tails[len - 1]! : -1;
      tails[len++] = i;
      continue;
    }
    let lo = 0, hi = len - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seq[tails[mid]!]! < v) lo = mid + 1;
      else hi = mid;
    }
    prev[i] = lo > 0 ? tails[lo - 1]! : -1;
    tails[lo] = i;
  }
  const out = new Array<number>(len);
  for (let k = len - 1, i = len > 0 ? tails[len - 1]! : -1; k >= 0; k--, i = prev[i]!) out[k] = i;
  return out;
}
