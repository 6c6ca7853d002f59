/**
 * A JSON value as text already (a request body as the client sent it, a provider's answer as it arrived): the
 * audit record splices it in rather than serializing the parsed value a second time. The text is valid JSON
 * (it was parsed); `of` drops a byte order mark and the line breaks between tokens, which JSON forbids inside
 * strings, so the text fits on one line of a JSON Lines file.
 */
export class JsonText {
  private constructor(readonly text: string) {}

  static of(raw: Buffer | string): JsonText {
    let text = typeof raw === 'string' ? raw : raw.toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.includes('\n') || text.includes('\r')) text = text.replace(/[\r\n]/g, '');
    return new JsonText(text);
  }
}
