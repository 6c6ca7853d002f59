/**
 * Jest transform for the one CommonJS dependency that requires an ESM-only NestJS package
 * (@willsoto/nestjs-prometheus → @nestjs/common). Jest's ESM mode cannot `require()` ESM on Node 20
 * (Node ≥ 24.9 can), so its `require("@nestjs/common")` is pointed at the same module instance the
 * tests imported (test/utils/setup-env.ts). Production (CommonJS build, Node's own require(esm)) does not use this.
 */
module.exports = {
  process(source) {
    return { code: source.replace(/require\("@nestjs\/common"\)/g, 'globalThis.__llmgwNestCommon') };
  },
};
