import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export const ADMIN_BEARER = 'admin-jwt';
export const API_KEY_BEARER = 'api-key';

/**
 * The OpenAPI document of an application's routes; operation ids are the controller method names. Reads only
 * route metadata, so it also works on an application created with `preview: true` (scripts/openapi.mjs).
 */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('LLM Gateway')
    .setDescription(
      'OpenAI-compatible proxy (`/v1`, authenticated with gateway API keys) and admin API (`/admin`, authenticated with a JWT from `/admin/auth/login` or `/admin/auth/token`).',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Admin JWT' }, ADMIN_BEARER)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Gateway API key (sk-gw-...)' }, API_KEY_BEARER)
    .build();
  return SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controllerKey: string, methodKey: string) => methodKey,
  });
}

/** OpenAPI at /docs (UI) and /docs-json. */
export function setupSwagger(app: NestFastifyApplication): void {
  const document = createOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}
