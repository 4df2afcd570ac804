import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';
import { openApiDocument } from '../../src/http/openapi.js';

/**
 * Response conformance for any route test: `expectConformant('get', '/api/v1/api_keys/{id}', res)`
 * checks the status is documented for that operation and the body matches its schema.
 */

type Doc = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
  >;
  components: { schemas: Record<string, object> };
};

const doc = openApiDocument('test') as unknown as Doc;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema({ $id: 'venice-keys', components: doc.components });

const validators = new Map<string, ReturnType<typeof ajv.compile>>();

function rewrite(schema: object): object {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"venice-keys#/components/'));
}

export function conformanceErrors(
  method: string,
  path: string,
  response: { statusCode: number; headers: Record<string, unknown>; body: string },
): string | undefined {
  const operation = doc.paths[path]?.[method.toLowerCase()];
  if (!operation) return `${method.toUpperCase()} ${path} is not in the OpenAPI document`;
  const documented = operation.responses[String(response.statusCode)];
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
  if (validate(JSON.parse(response.body))) return undefined;
  return `${id}: ${ajv.errorsText(validate.errors)}\n${response.body.slice(0, 500)}`;
}

export function expectConformant(
  method: string,
  path: string,
  response: { statusCode: number; headers: Record<string, unknown>; body: string },
): void {
  expect(conformanceErrors(method, path, response)).toBeUndefined();
}
