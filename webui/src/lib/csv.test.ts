import { describe, expect, it } from 'vitest';
import type { UsageRow } from '../api/types';
import { csvField, toCsv } from './csv';
import { groupLabel, usageCsv } from './usage-table';

const row = (over: Partial<UsageRow>): UsageRow => ({
  requests: 2,
  prompt_tokens: 10,
  completion_tokens: 5,
  cache_read_tokens: 0,
  cache_write_tokens: 0,
  reasoning_tokens: 0,
  cost_usd: '0.000123',
  estimated_requests: 0,
  unpriced_requests: 0,
  cache_hits: 1,
  saved_usd: '0.00004',
  ...over,
});

describe('CSV', () => {
  it('quotes commas, quotes and line breaks, and leaves plain text alone', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField(0)).toBe('0');
  });

  it('defuses text a spreadsheet would run as a formula, but not negative numbers', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('@sum')).toBe("'@sum");
    expect(csvField(-1)).toBe('-1');
  });

  it('writes a header and CRLF-terminated rows', () => {
    expect(toCsv([{ header: 'n', value: (r: { n: number }) => r.n }], [{ n: 1 }, { n: 2 }])).toBe('n\r\n1\r\n2\r\n');
  });

  it('puts the group columns of a usage report first, in the API order, then every counter', () => {
    const csv = usageCsv([row({ model: 'gpt-4o-mini', day: '2026-11-02' })], ['day', 'model']);
    const [header, first] = csv.split('\r\n');
    expect(header).toBe(
      'model,day,requests,prompt_tokens,completion_tokens,cache_read_tokens,cache_write_tokens,reasoning_tokens,cost_usd,estimated_requests,unpriced_requests,cache_hits,saved_usd',
    );
    expect(first).toBe('gpt-4o-mini,2026-11-02,2,10,5,0,0,0,0.000123,0,0,1,0.00004');
  });

  it('labels rows by their group keys, naming what is missing', () => {
    expect(groupLabel(row({ api_key_id: 'k1', api_key_name: 'search', model: null }), ['api_key', 'model'])).toBe(
      'search · (unknown model)',
    );
    expect(groupLabel(row({}), [])).toBe('All');
  });
});
