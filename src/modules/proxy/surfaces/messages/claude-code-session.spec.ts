import type { IncomingHttpHeaders } from 'node:http';
import type { JsonObject } from '#src/modules/providers/provider-adapter';
import { claudeCodeSessionId as sut } from '#src/modules/proxy/surfaces/messages/claude-code-session';

const SESSION = '1de430dd-3cf1-4279-a9c6-072903881d96';
const USER_ID_1_0 = `user_658bcd4186b0cebb6e1131a7f7e692e0bf74c4cc863f1f7c0159863dd2594e69_account__session_${SESSION}`;

describe('claudeCodeSessionId', () => {
  it.each<[string, IncomingHttpHeaders, JsonObject, string | null]>([
    ['takes the header (Claude Code 2.x)', { 'x-claude-code-session-id': SESSION }, {}, SESSION],
    [
      'prefers the header to metadata',
      { 'x-claude-code-session-id': 'abc-1' },
      { metadata: { user_id: USER_ID_1_0 } },
      'abc-1',
    ],
    [
      'takes metadata.user_id’s session without the header (Claude Code 1.0.x)',
      {},
      { metadata: { user_id: USER_ID_1_0 } },
      SESSION,
    ],
    [
      'takes metadata.user_id’s session after an account uuid',
      {},
      { metadata: { user_id: `user_ab12_account_0f3c2a4e-6b1d-4c7a-9a51-2f8e3d9b7c10_session_${SESSION}` } },
      SESSION,
    ],
    ['finds none in an SDK user_id', {}, { metadata: { user_id: 'u-1' } }, null],
    ['finds none without metadata', {}, {}, null],
    ['refuses a header that is no id', { 'x-claude-code-session-id': 'a b<script>' }, {}, null],
    ['finds none in a non-string user_id', {}, { metadata: { user_id: 42 } }, null],
  ])('%s', (_name, headers, body, expected) => {
    expect(sut(headers, body)).toBe(expected);
  });
});
