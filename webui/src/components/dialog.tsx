import { type ReactNode, useEffect, useId, useRef } from 'react';

/**
 * A modal dialog in Pico's style, opened with showModal(): the page behind is inert and focus stays inside.
 * Escape or the close button closes it, and focus returns to where it was.
 */
export function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const id = useId();
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    const before = document.activeElement as HTMLElement | null;
    if (dialog && !dialog.open) {
      if (typeof dialog.showModal === 'function') dialog.showModal();
      else dialog.setAttribute('open', '');
    }
    dialog?.querySelector<HTMLElement>('[autofocus], input, select, textarea')?.focus();
    return () => {
      dialog?.close?.();
      before?.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      aria-labelledby={id}
      onCancel={(e) => {
        // Escape: let React state close it, so the dialog and the state never disagree
        e.preventDefault();
        onClose();
      }}
    >
      <article>
        <header>
          <button type="button" aria-label="Close" rel="prev" onClick={onClose} />
          <h2 id={id}>{title}</h2>
        </header>
        {children}
      </article>
    </dialog>
  );
}
