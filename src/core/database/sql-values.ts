/** `($at+1,…,$at+n)`: the placeholders of one row of a multi-row `VALUES` list. */
export function rowPlaceholders(at: number, n: number): string {
  return `(${Array.from({ length: n }, (_, i) => `$${at + i + 1}`).join(',')})`;
}
