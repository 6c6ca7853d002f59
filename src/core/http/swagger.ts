import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

export const ADMIN_BEARER = 'admin-jwt';
export const API_KEY_BEARER = 'api-key';

/** OpenAPI at /docs (UI) and /docs-json. Operation ids are the controller method names. */
export function setupSwagger(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('LLM Gateway')
    .setDescription(
      'OpenAI-compatible proxy (`/v1`, authenticated with gateway API keys) and admin API (`/admin`, authenticated with a JWT from `/admin/auth/login` or `/admin/auth/token`).',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Admin JWT' }, ADMIN_BEARER)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Gateway API key (sk-gw-...)' }, API_KEY_BEARER)
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controllerKey: string, methodKey: string) => methodKey,
  });
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}
