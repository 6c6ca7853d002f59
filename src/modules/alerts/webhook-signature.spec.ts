import { createHmac } from 'node:crypto';
import { signatureHeader, verifySignature } from '#src/modules/alerts/webhook-signature';

describe('webhook signature', () => {
  const body = '{"id":"e1","type":"key.expiring"}';
  const now = 1_796_000_000;

  it('is t=<seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>', () => {
    const expected = createHmac('sha256', 's3cret-value').update(`${now}.${body}`).digest('hex');
    expect(signatureHeader('s3cret-value', body, now)).toBe(`t=${now},v1=${expected}`);
  });

  it.each([
    ['the same secret, body and a fresh timestamp', 's3cret-value', body, now + 10, true],
    ['another secret', 'other-secret', body, now, false],
    ['a changed body', 's3cret-value', body.replace('e1', 'e2'), now, false],
    ['a timestamp older than the tolerance', 's3cret-value', body, now + 301, false],
  ])('verifies with %s: %s', (_what, secret, checked, at, valid) => {
    const sut = signatureHeader('s3cret-value', body, now);
    expect(verifySignature(sut, checked, secret, at)).toBe(valid);
  });

  it('refuses malformed headers', () => {
    for (const header of ['', 't=1', 'v1=abc', `t=x,v1=${'0'.repeat(64)}`, `t=${now},v1=zz`])
      expect(verifySignature(header, body, 's3cret-value', now)).toBe(false);
  });
});
