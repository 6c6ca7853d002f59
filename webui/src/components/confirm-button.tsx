import { type ReactNode, useState } from 'react';
import { errorMessage } from '../api/errors';
import { Dialog } from './dialog';

interface Props {
  /** The button's text, also the confirming button's. */
  label: string;
  title: string;
  children: ReactNode;
  onConfirm: () => Promise<unknown>;
  className?: string;
}

/** A destructive action behind a confirmation dialog; the dialog shows the failure if the call fails. */
export function ConfirmButton({ label, title, children, onConfirm, className = 'secondary' }: Props) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const close = () => {
    setOpen(false);
    setError(null);
  };
  return (
    <>
      <button type="button" className={className} onClick={() => setOpen(true)}>
        {label}
      </button>
      {open ? (
        <Dialog title={title} onClose={close}>
          {children}
          {error ? <p role="alert">{error}</p> : null}
          <footer>
            <button type="button" className="secondary" onClick={close} autoFocus>
              Cancel
            </button>
            <button
              type="button"
              className="danger"
              aria-busy={busy}
              disabled={busy}
              onClick={() => {
                setBusy(true);
                setError(null);
                onConfirm()
                  .then(() => setOpen(false))
                  .catch((err: unknown) => setError(errorMessage(err)))
                  .finally(() => setBusy(false));
              }}
            >
              {label}
            </button>
          </footer>
        </Dialog>
      ) : null}
    </>
  );
}
