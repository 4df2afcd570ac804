import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { FastifyInstance, InjectOptions, LightMyRequestCallback, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { openApiDocument } from '../../src/http/openapi.js';

/**
 * Response conformance for any route test: `expectConformant('get', '/api/v1/api_keys/{id}', res)`
 * checks the status is documented for that operation and the body matches its schema.
 * `checkConformance(app)` does it for every `app.inject` whose path and method the document has.
 */

type Doc = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
  >;
  components: { schemas: Record<string, object> };
};
type Answer = { statusCode: number; headers: Record<string, unknown>; body: string };

const doc = openApiDocument('test') as unknown as Doc;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema({ $id: 'venice-keys', components: doc.components });

const validators = new Map<string, ReturnType<typeof ajv.compile>>();

function rewrite(schema: object): object {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"venice-keys#/components/'));
}

export function conformanceErrors(method: string, path: string, response: Answer): string | undefined {
  const operation = doc.paths[path]?.[method.toLowerCase()];
  if (!operation) return `${method.toUpperCase()} ${path} is not in the OpenAPI document`;
  // OpenAPI's ranges (4XX) stand for the statuses of their class that are not listed one by one.
  const documented =
    operation.responses[String(response.statusCode)] ??
    operation.responses[`${String(response.statusCode).charAt(0)}XX`];
  if (!documented) return `${method.toUpperCase()} ${path}: status ${response.statusCode} is not documented`;
  const type = String(response.headers['content-type'] ?? '').split(';')[0] ?? '';
  const media = documented.content?.[type];
  if (!media) return `${method.toUpperCase()} ${path} ${response.statusCode}: content type ${type} is not documented`;
  if (type !== 'application/json') return undefined;
  const id = `${method} ${path} ${response.statusCode}`;
  let validate = validators.get(id);
  if (!validate) {
    validate = ajv.compile(rewrite(media.schema));
    validators.set(id, validate);
  }
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    return `${id}: the body is not JSON\n${response.body.slice(0, 500)}`;
  }
  if (validate(body)) return undefined;
  return `${id}: ${ajv.errorsText(validate.errors)}\n${response.body.slice(0, 500)}`;
}

export function expectConformant(method: string, path: string, response: Answer): void {
  expect(conformanceErrors(method, path, response)).toBeUndefined();
}

// Static segments outrank parameters, as in fastify's router: /api_keys/rate_limits beats /api_keys/{id}.
const templates = Object.keys(doc.paths)
  .map((template) => ({
    template,
    params: (template.match(/\{[^}]+\}/g) ?? []).length,
    pattern: new RegExp(
      `^${template
        .split(/\{[^}]+\}/)
        .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
        .join('[^/]+')}$`,
    ),
  }))
  .sort((a, b) => a.params - b.params || b.template.length - a.template.length);

/** The document's path template for a request URL (query stripped), if it has one. */
export function pathTemplate(url: string): string | undefined {
  let path = url.split('?')[0] ?? '';
  // The app ignores a trailing slash, so /api/v1/models/ is the same operation as /api/v1/models.
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return templates.find((t) => t.pattern.test(path))?.template;
}

/** Why an injected answer breaks the document; undefined when it conforms or the document does not cover it. */
export function injectedErrors(method: string, url: string, response: Answer): string | undefined {
  const template = pathTemplate(url);
  if (!template || !doc.paths[template]?.[method.toLowerCase()]) return undefined;
  const errors = conformanceErrors(method, template, response);
  return errors && `${method.toUpperCase()} ${url.slice(0, 200)} does not conform to the OpenAPI document: ${errors}`;
}

function check(response: LightMyRequestResponse): void {
  const { method = 'GET', url = '/' } = response.raw.req;
  const errors = injectedErrors(method, url, response);
  if (errors) throw new Error(errors);
}

/**
 * Makes `app.inject` fail (reject, or call back with an error) on an answer that breaks the
 * document, so that every route test checks the contract where it awaits the answer.
 * The chain style (`app.inject().get(…).end()`) is left as it is: no test uses it.
 */
export function checkConformance(app: FastifyInstance): FastifyInstance {
  const inject = app.inject.bind(app);
  const checked = (opts?: InjectOptions | string, callback?: LightMyRequestCallback) => {
    if (opts === undefined) return inject();
    if (callback) {
      return inject(opts, (err, response) => {
        if (err || !response) return callback(err, response);
        try {
          check(response);
        } catch (error) {
          return callback(error as Error, response);
        }
        callback(undefined, response);
      });
    }
    return inject(opts).then((response) => {
      check(response);
      return response;
    });
  };
  app.inject = checked as FastifyInstance['inject'];
  return app;
}
