import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { CORE_VERSION } from '../version.js';

/** `/openapi.json` (OpenAPI 3, generated from the route schemas) and the `/docs` reference page. */
export default fp(async (app) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'congno API',
        version: CORE_VERSION,
        description: 'Accounts receivable and payment follow-up. Amounts are decimal strings in major units; dates are YYYY-MM-DD; errors are application/problem+json.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true }, staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}, { name: 'congno-openapi' });
