/**
 * The checks Anthropic's Messages API applies to a request body that a translation bug would trip
 * (https://docs.anthropic.com/en/api/messages): required fields, known top-level fields only, user/assistant
 * roles, known block shapes, and tool_use/tool_result pairing between adjacent turns. Messages follow
 * Anthropic's `<path>: <problem>` style. Returns null for a valid body.
 */
type Json = Record<string, unknown>;

const TOP_LEVEL = new Set([
  'model',
  'messages',
  'max_tokens',
  'system',
  'metadata',
  'stop_sequences',
  'stream',
  'temperature',
  'top_p',
  'top_k',
  'tools',
  'tool_choice',
  'thinking',
  'service_tier',
  'output_config',
]);
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

function blockProblem(block: unknown, at: string): string | null {
  if (!isObject(block)) return `${at}: Input should be an object`;
  switch (block.type) {
    case 'text':
      return typeof block.text === 'string' && block.text !== ''
        ? null
        : `${at}: text content blocks must be non-empty`;
    case 'image': {
      const s = isObject(block.source) ? block.source : {};
      if (s.type === 'url' && typeof s.url === 'string') return null;
      if (s.type === 'base64' && IMAGE_TYPES.has(String(s.media_type)) && typeof s.data === 'string') return null;
      return `${at}.source: Input tag does not match any of the expected tags`;
    }
    case 'document':
      return isObject(block.source) ? null : `${at}.source: Field required`;
    case 'tool_use':
      return typeof block.id === 'string' && typeof block.name === 'string' && isObject(block.input)
        ? null
        : `${at}: tool_use blocks need id, name and an object input`;
    case 'tool_result':
      return typeof block.tool_use_id === 'string' ? null : `${at}.tool_use_id: Field required`;
    default:
      return `${at}.type: Input tag '${String(block.type)}' found using 'type' does not match any of the expected tags`;
  }
}

function blocksOf(content: unknown): Json[] {
  return Array.isArray(content) ? content.filter(isObject) : [];
}

/** Every tool_use must be answered by a tool_result in the very next turn, and every tool_result must answer one. */
function pairingProblem(messages: Json[]): string | null {
  for (let i = 0; i < messages.length; i++) {
    const uses = blocksOf(messages[i].content)
      .filter((b) => b.type === 'tool_use')
      .map((b) => b.id);
    const results = new Set(
      blocksOf(messages[i + 1]?.content)
        .filter((b) => b.type === 'tool_result')
        .map((b) => b.tool_use_id),
    );
    const missing = uses.filter((id) => !results.has(id));
    if (missing.length > 0) {
      return `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    }
    const previousUses = new Set(
      blocksOf(messages[i - 1]?.content)
        .filter((b) => b.type === 'tool_use')
        .map((b) => b.id),
    );
    const orphan = blocksOf(messages[i].content).find(
      (b) => b.type === 'tool_result' && !previousUses.has(b.tool_use_id),
    );
    if (orphan) {
      return `messages.${i}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(orphan.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
    }
  }
  return null;
}

function messageProblem(m: unknown, i: number): string | null {
  if (!isObject(m)) return `messages.${i}: Input should be an object`;
  if (m.role !== 'user' && m.role !== 'assistant') return `messages.${i}.role: Input should be 'user' or 'assistant'`;
  if (typeof m.content === 'string') return m.content === '' ? `messages.${i}: content must be non-empty` : null;
  if (!Array.isArray(m.content) || m.content.length === 0)
    return `messages.${i}.content: Input should be a non-empty list`;
  for (const [j, b] of m.content.entries()) {
    const problem = blockProblem(b, `messages.${i}.content.${j}`);
    if (problem) return problem;
  }
  return null;
}

function toolsProblem(body: Json): string | null {
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return 'tools: Input should be a valid list';
    for (const [i, t] of body.tools.entries()) {
      if (!isObject(t) || typeof t.name !== 'string' || !isObject(t.input_schema))
        return `tools.${i}: name and input_schema are required`;
    }
  }
  const choice = body.tool_choice;
  if (choice === undefined) return null;
  if (!isObject(choice) || !['auto', 'any', 'tool', 'none'].includes(String(choice.type)))
    return 'tool_choice: Input tag does not match any of the expected tags';
  if (choice.type === 'tool' && typeof choice.name !== 'string') return 'tool_choice.name: Field required';
  return null;
}

export function anthropicRequestProblem(body: Json): string | null {
  for (const key of Object.keys(body)) if (!TOP_LEVEL.has(key)) return `${key}: Extra inputs are not permitted`;
  if (typeof body.model !== 'string') return 'model: Field required';
  if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1) return 'max_tokens: Field required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: Input should be a non-empty list';
  if (body.system !== undefined && typeof body.system !== 'string') {
    if (!Array.isArray(body.system)) return 'system: Input should be a valid string or list';
    for (const [j, b] of body.system.entries()) {
      if (!isObject(b) || b.type !== 'text') return `system.${j}: only text blocks are allowed`;
      const problem = blockProblem(b, `system.${j}`);
      if (problem) return problem;
    }
  }
  for (const [i, m] of body.messages.entries()) {
    const problem = messageProblem(m, i);
    if (problem) return problem;
  }
  if (body.stop_sequences !== undefined && !Array.isArray(body.stop_sequences))
    return 'stop_sequences: Input should be a valid list';
  return toolsProblem(body) ?? pairingProblem(body.messages as Json[]);
}
