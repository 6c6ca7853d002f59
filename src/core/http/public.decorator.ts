import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'llmgw:public';

/** Marks a route that needs no credentials (health, metrics, docs, login). Every other route has a guard. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
