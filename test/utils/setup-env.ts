import 'reflect-metadata';
import * as nestCommon from '@nestjs/common';
import * as contentDisposition from 'content-disposition';

// See test/utils/esm-require-bridge.cjs.
Object.assign(globalThis, { __llmgwEsm_nestCommon: nestCommon, __llmgwEsm_contentDisposition: contentDisposition });

// redis-parser (under ioredis) starts a ref'd 50 ms interval after a large reply that shrinks its buffer pool
// step by step, for up to seconds; a spec whose last Redis reply was large (audit batches with big bodies, as the
// agent CLIs send) then keeps its Jest worker alive past the 500 ms Jest allows at the end ("A worker process
// has failed to exit gracefully"). Unref'd, the interval still shrinks the pool but holds no process open.
const setIntervalOfNode = globalThis.setInterval;
globalThis.setInterval = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
  const timer = setIntervalOfNode(fn, ms, ...args);
  if (fn.name === 'decreaseBufferPool') timer.unref();
  return timer;
}) as typeof setInterval;
