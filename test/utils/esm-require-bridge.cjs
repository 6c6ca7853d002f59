/**
 * Jest transform for the CommonJS dependencies that `require()` an ESM-only package:
 * @willsoto/nestjs-prometheus → @nestjs/common, and @fastify/static → content-disposition 3.
 * Jest's ESM mode cannot require() ESM on Node 20 (Node ≥ 24.9 can), so these requires are pointed at
 * the module instances test/utils/setup-env.ts imported. The production CommonJS build does not use this:
 * Node ≥ 20.19 loads them with its own require(esm).
 */
const BRIDGED = {
  '@nestjs/common': '__llmgwEsm_nestCommon',
  'content-disposition': '__llmgwEsm_contentDisposition',
};

module.exports = {
  process(source) {
    let code = source;
    for (const [pkg, global] of Object.entries(BRIDGED)) {
      code = code.replace(new RegExp(`require\\(["']${pkg}["']\\)`, 'g'), `globalThis.${global}`);
    }
    return { code };
  },
};
