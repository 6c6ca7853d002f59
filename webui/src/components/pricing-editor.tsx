import { DIRECTIONS, MODALITIES, newPriceRow, type PriceRow, UNITS } from '../lib/pricing';

/** Rows of pricing components (direction, modality, unit, tier, price) with add and remove. */
export function PricingEditor({ rows, onChange }: { rows: PriceRow[]; onChange: (rows: PriceRow[]) => void }) {
  const set = (i: number, patch: Partial<PriceRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <fieldset>
      <legend>Pricing (USD per unit)</legend>
      {rows.length === 0 ? (
        <p className="hint">No prices: calls of this model cost 0 unless the provider reports a cost.</p>
      ) : null}
      {rows.map((row, i) => (
        <div className="pricing-row" key={i} role="group" aria-label={`Price ${i + 1}`}>
          <label>
            Direction
            <select
              value={row.direction}
              onChange={(e) => set(i, { direction: e.target.value as PriceRow['direction'] })}
            >
              {DIRECTIONS.map((d) => (
                <option key={d}>{d}</option>
              ))}
            </select>
          </label>
          <label>
            Modality
            <select value={row.modality} onChange={(e) => set(i, { modality: e.target.value as PriceRow['modality'] })}>
              {MODALITIES.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </label>
          <label>
            Unit
            <select value={row.unit} onChange={(e) => set(i, { unit: e.target.value as PriceRow['unit'] })}>
              {UNITS.map((u) => (
                <option key={u}>{u}</option>
              ))}
            </select>
          </label>
          <label>
            Tier
            <input value={row.tier} onChange={(e) => set(i, { tier: e.target.value })} />
          </label>
          <label>
            USD per unit
            <input inputMode="decimal" value={row.price} onChange={(e) => set(i, { price: e.target.value })} />
          </label>
          <button
            type="button"
            className="secondary outline"
            aria-label={`Remove price ${i + 1}`}
            onClick={() => onChange(rows.filter((_, j) => j !== i))}
          >
            Remove
          </button>
        </div>
      ))}
      <button type="button" className="secondary" onClick={() => onChange([...rows, newPriceRow()])}>
        Add a price
      </button>
    </fieldset>
  );
}
