import 'reflect-metadata';
import * as nestCommon from '@nestjs/common';
import * as contentDisposition from 'content-disposition';

// See test/utils/esm-require-bridge.cjs.
Object.assign(globalThis, { __llmgwEsm_nestCommon: nestCommon, __llmgwEsm_contentDisposition: contentDisposition });
