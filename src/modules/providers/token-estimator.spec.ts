import { chatPromptUpperBound, measureChatPrompt } from '#src/modules/providers/token-estimator';

const EXACT = { textFactor: 1, perImage: 0 };
/** The bound computed from one exact count of all the text joined (what the bound was before long pieces were remembered). */
const joinedBound = (body: Record<string, unknown>): number => {
  const m = measureChatPrompt(body);
  return m.textTokens + m.messages * 4 + 3;
};

const SAMPLES = [
  'You are a careful assistant. Answer briefly, cite sources, and never invent facts. ',
  'def handler(event, context):\n    return {"statusCode": 200, "body": json.dumps(event)}\n\n\n',
  '请用简体中文回答。我们的产品支持多种语言，包括日本語と한국어。',
  '{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}   ',
  'Ends with punctuation...!?\n',
  '    leading spaces and 12345678901234567890 digits\t\t',
];

describe('chatPromptUpperBound with long pieces remembered', () => {
  it.each(SAMPLES.map((s, i) => [i, s]))('is never below the exact joined count (sample %i)', (_i, sample) => {
    const long = sample.repeat(Math.ceil(600 / sample.length));
    for (const body of [
      {
        messages: [
          { role: 'system', content: long },
          { role: 'user', content: 'hi' },
        ],
      },
      {
        messages: [
          { role: 'user', content: `x${long}` },
          { role: 'assistant', content: long },
        ],
      },
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: long },
              { type: 'text', text: sample },
            ],
          },
        ],
      },
    ]) {
      const bound = chatPromptUpperBound(body, EXACT);
      expect(bound).toBeGreaterThanOrEqual(joinedBound(body));
      // a separator token per long piece at most
      expect(bound - joinedBound(body)).toBeLessThanOrEqual(2 * body.messages.length);
      // the second count comes from the LRU: it must hold the same value the first count computed
      expect(chatPromptUpperBound(structuredClone(body), EXACT)).toBe(bound);
    }
  });

  it('equals the exact joined count when no piece is long', () => {
    const body = { messages: SAMPLES.map((content) => ({ role: 'user', content })) };
    expect(chatPromptUpperBound(body, EXACT)).toBe(joinedBound(body));
  });
});
