import type { ReactNode } from 'react';

/**
 * A table that scrolls sideways when it is wider than the page. The region is focusable, so a keyboard user
 * can scroll it too (WCAG 2.1.1; axe's scrollable-region-focusable), and named, so a screen reader says what
 * that tab stop is.
 */
export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
