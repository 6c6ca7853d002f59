/** The UTC calendar month (`YYYY-MM`) an instant belongs to. */
export function utcMonth(at: Date): string {
  return at.toISOString().slice(0, 7);
}
