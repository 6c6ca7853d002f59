import { ApiKeyManagementService } from '#src/modules/keys/api-key-management.service';
import { AUDIT_FIELDS, AuditRedis, chat, chatBody, waitForRecords } from '#test/audit/audit-helpers';
import { AuditFlushService } from '#src/modules/audit/audit-flush.service';
import { createGateway, createKey } from '#test/factories/gateway-fixtures';
import { startApi, type TestApp } from '#test/utils/app';
import { FakeOpenAi } from '#test/utils/fake-openai';
import { resetState } from '#test/utils/reset';
import { TestS3 } from '#test/utils/s3';

/** Just under LOG_BODY_MAX_BYTES (64 KB): an authenticated call's body is kept whole. */
const BIG = chatBody({ messages: [{ role: 'user', content: 'x'.repeat(60_000) }] });

/**
 * A call refused by the API key guard comes from nobody the gateway knows: its audit record says who was
 * refused and why, but does not store what they sent (up to 64 KB per call otherwise). A call refused after
 * authentication keeps its body, as every authenticated call does.
 */
describe('audit records of refused calls', () => {
  let s3: TestS3;
  let upstream: FakeOpenAi;
  let redis: AuditRedis;
  let api: TestApp;
  const prefix = 'refusals/';

  beforeAll(async () => {
    await resetState();
    s3 = await new TestS3().start();
    upstream = await new FakeOpenAi().start();
    redis = new AuditRedis();
    api = await startApi(s3.env({ LOGGING_SINK_S3_PREFIX: prefix }));
  });
  afterAll(async () => {
    await api.close();
    redis.close();
    await upstream.stop();
    await s3.stop();
  });

  it('stores a 401 without the request body, and an authenticated refusal with it', async () => {
    const gw = await createGateway(api, upstream.url, { name: 'refusals-team' });
    const revoked = await createKey(api, { name: 'revoked-key' });
    await api.get(ApiKeyManagementService).revoke(revoked.id);

    const missing = await fetch(`${api.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(BIG),
    });
    const refused = [
      { status: missing.status, callId: missing.headers.get('x-gateway-call-id') ?? '' },
      await chat(api.url, 'sk-gw-not-a-real-key-000000000000000000000', BIG),
      await chat(api.url, revoked.key, BIG),
    ];
    // the model field is all of an unauthenticated body the record keeps, and only its first 256 characters
    const longModel = await chat(api.url, 'sk-gw-not-a-real-key-000000000000000000000', {
      ...BIG,
      model: 'm'.repeat(50_000),
    });
    const unknownModel = await chat(api.url, gw.key, { ...BIG, model: 'no-such-model' });
    expect([...refused.map((r) => r.status), longModel.status, unknownModel.status]).toEqual([401, 401, 401, 401, 404]);

    await redis.waitForBuffer(5);
    await api.get(AuditFlushService).flush('manual');
    const records = await waitForRecords(s3, prefix, 5);
    const byId = new Map(records.map((r) => [r.call_id, r]));
    for (const { callId } of refused) {
      const record = byId.get(callId);
      expect(Object.keys(record ?? {})).toEqual(AUDIT_FIELDS);
      expect(record).toMatchObject({
        status: 401,
        error_code: 'invalid_api_key',
        api_key_id: null,
        model: 'gpt-4o-mini',
        request_body: null,
        response_body: null,
        truncated: false,
      });
      expect(JSON.stringify(record).length).toBeLessThan(2000);
    }
    expect(byId.get(longModel.callId)).toMatchObject({ status: 401, model: 'm'.repeat(256), request_body: null });
    expect(byId.get(unknownModel.callId)).toMatchObject({
      status: 404,
      error_code: 'model_not_found',
      api_key_id: gw.keyId,
      request_body: { ...BIG, model: 'no-such-model' },
      truncated: false,
    });
  });
});
