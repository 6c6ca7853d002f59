import { useId, useState } from 'react';

/** A new key or token, shown this one time with a copy button. */
export function SecretOnce({ label, secret, onDone }: { label: string; secret: string; onDone: () => void }) {
  const id = useId();
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  return (
    <section className="secret-once" aria-labelledby={`${id}-h`}>
      <h3 id={`${id}-h`}>{label}</h3>
      <p>
        <strong>Copy it now: it is shown only this once.</strong> The gateway keeps only a hash and cannot show it
        again.
      </p>
      <div role="group">
        <input
          id={id}
          aria-label={`${label} (shown once)`}
          readOnly
          value={secret}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button
          type="button"
          onClick={() => {
            navigator.clipboard
              .writeText(secret)
              .then(() => setCopied('yes'))
              .catch(() => setCopied('failed'));
          }}
        >
          Copy
        </button>
      </div>
      <p role="status">
        {copied === 'yes'
          ? 'Copied to the clipboard.'
          : copied === 'failed'
            ? 'Copying failed: select the text and copy it.'
            : ''}
      </p>
      <button type="button" className="secondary" onClick={onDone}>
        I have copied it
      </button>
    </section>
  );
}
