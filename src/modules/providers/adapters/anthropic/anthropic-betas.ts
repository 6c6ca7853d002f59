import { Logger } from '@nestjs/common';

/**
 * `anthropic-beta` flags Claude on Bedrock accepts (AWS's "Anthropic Claude Messages API" page, beta
 * headers); Bedrock answers 400 to any other. Claude Code sends flags of its own (`claude-code-20250219`,
 * `fine-grained-tool-streaming-2025-05-14`, `oauth-2025-04-20`, ...) that only Anthropic's API takes.
 */
export const BEDROCK_BETAS: readonly string[] = [
  'computer-use-2024-10-22',
  'computer-use-2025-01-24',
  'computer-use-2025-11-24',
  'token-efficient-tools-2025-02-19',
  'interleaved-thinking-2025-05-14',
  'output-128k-2025-02-19',
  'dev-full-thinking-2025-05-14',
  'context-1m-2025-08-07',
  'context-management-2025-06-27',
  'effort-2025-11-24',
  'tool-search-tool-2025-10-19',
  'tool-examples-2025-10-29',
];

/** `anthropic-beta` flags Claude on Vertex AI accepts (Google's Claude pages); Vertex refuses others. */
export const VERTEX_BETAS: readonly string[] = [
  'computer-use-2024-10-22',
  'computer-use-2025-01-24',
  'computer-use-2025-11-24',
  'token-efficient-tools-2025-02-19',
  'interleaved-thinking-2025-05-14',
  'output-128k-2025-02-19',
  'context-1m-2025-08-07',
  'context-management-2025-06-27',
  'effort-2025-11-24',
  'tool-search-tool-2025-10-19',
];

const logger = new Logger('AnthropicBetas');

/**
 * The beta flags a Claude host takes: the provider's `config.anthropic_betas` (a list of flags) when set, else
 * the host's defaults above. Flags outside it are dropped and logged at debug, so a client that sends every flag
 * it knows (Claude Code) keeps working on a host that knows fewer.
 */
export class BetaFilter {
  private readonly accepted: ReadonlySet<string>;

  constructor(
    private readonly provider: string,
    config: Record<string, unknown>,
    defaults: readonly string[],
  ) {
    const configured = config.anthropic_betas;
    if (configured !== undefined && configured !== null) {
      if (!Array.isArray(configured) || !configured.every((b) => typeof b === 'string'))
        throw new Error('config.anthropic_betas must be a list of beta flag names');
      this.accepted = new Set(configured);
    } else {
      this.accepted = new Set(defaults);
    }
  }

  filter(betas: string[]): string[] {
    const kept = betas.filter((b) => this.accepted.has(b));
    if (kept.length < betas.length)
      logger.debug(
        { provider: this.provider, dropped: betas.filter((b) => !this.accepted.has(b)) },
        'anthropic-beta flags the provider does not accept were dropped',
      );
    return kept;
  }
}
