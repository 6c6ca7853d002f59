import { encodeEmbeddingsBase64, floatsToBase64 } from '#src/modules/proxy/embeddings-encoding';

describe('base64 embeddings', () => {
  it('encodes floats as float32 little-endian, as the openai SDK decodes them', () => {
    const sut = floatsToBase64([0.5, -1, 3.25]);
    const buf = Buffer.from(sut, 'base64');
    expect([buf.readFloatLE(0), buf.readFloatLE(4), buf.readFloatLE(8)]).toEqual([0.5, -1, 3.25]);
    expect(new Float32Array(buf.buffer, buf.byteOffset, 3)).toEqual(new Float32Array([0.5, -1, 3.25]));
  });

  it('encodes float arrays and leaves base64 strings untouched', () => {
    const sut = encodeEmbeddingsBase64({
      object: 'list',
      data: [
        { index: 0, embedding: [1] },
        { index: 1, embedding: 'AACAPw==' },
      ],
    });
    expect(sut.data).toEqual([
      { index: 0, embedding: 'AACAPw==' },
      { index: 1, embedding: 'AACAPw==' },
    ]);
  });
});
