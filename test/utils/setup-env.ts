import 'reflect-metadata';
import * as nestCommon from '@nestjs/common';

// See test/utils/nest-common-bridge.cjs.
(globalThis as Record<string, unknown>).__llmgwNestCommon = nestCommon;
