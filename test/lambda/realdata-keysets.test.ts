/**
 * Every published JWK Set through the Lambda bundle: the provider serves the set byte-exact
 * with a run-time key added in the shape of the set's first signing key (key type, curve,
 * whether `alg` is published, kid style), and a token signed by that key is allowed, while a
 * token naming a published kid under the run-time key's signature is `Unauthorized`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKey, mint } from '../fixtures/keys.ts';
import { type Provider, startProvider } from '../fixtures/provider.ts';
import { captureLogs, coldStart, outcome, realdata, tokenEvent } from './harness.ts';

const DIR = join(realdata, 'jwks');
/** The JWK Set files (the Google file holds three documents, and `_` files are not sets). */
const FILES = readdirSync(DIR).filter((name) => {
  if (name.startsWith('_')) return false;
  const parsed = JSON.parse(readFileSync(join(DIR, name), 'utf8')) as { keys?: unknown };
  return Array.isArray(parsed.keys);
});

/** The algorithm a run-time key shaped like `jwk` signs with. */
function algorithmOf(jwk: JWK): 'RS256' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA' {
  if (jwk.kty === 'EC') {
    return ({ 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' } as const)[jwk.crv as 'P-256'];
  }
  if (jwk.kty === 'OKP') return 'EdDSA';
  return 'RS256';
}

let provider: Provider;
beforeAll(async () => {
  provider = await startProvider();
});
afterAll(async () => provider?.close());

async function answer(file: string, token: string, alg: string): Promise<string> {
  const handler = await coldStart({
    JWT_ISSUER: `https://realdata.test/${file}`,
    JWT_AUDIENCE: 'realdata',
    JWKS_URL: `${provider.url}/${file}`,
    JWT_ALGORITHMS: alg,
  });
  const logs = captureLogs();
  const result = await outcome(handler, tokenEvent(`Bearer ${token}`)).finally(logs.restore);
  if (result.error) return `error: ${result.error.message}`;
  const statements = (result.value as { policyDocument: { Statement: { Effect: string }[] } })
    .policyDocument.Statement;
  return statements.some((s) => s.Effect === 'Allow') ? 'allow' : 'deny';
}

describe('published key sets through the Lambda bundle', () => {
  it('finds the key set files', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(14);
  });

  it.each(FILES)('allows a run-time key shaped like the keys of %s', async (file) => {
    const published = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as { keys: JWK[] };
    const model = published.keys.find((k) => k.use !== 'enc') as JWK;
    const alg = algorithmOf(model);
    const key = await makeKey(alg, `${model.kid ?? 'k'}-runtime`, {
      publishAlg: model.alg !== undefined,
    });
    const shaped: JWK = { ...key.publicJwk };
    if (model.use === undefined) delete shaped.use;
    if (model.key_ops !== undefined) shaped.key_ops = model.key_ops;
    provider.route(`/${file}`, {
      body: { ...published, keys: [...published.keys, shaped] },
      headers: { 'cache-control': 'max-age=600' },
    });
    const claims = { iss: `https://realdata.test/${file}`, aud: 'realdata', sub: 'rt' };

    expect(await answer(file, await mint(key, claims), alg)).toBe('allow');
    const impostor = await mint({ ...key, kid: model.kid ?? 'none' }, claims);
    expect(await answer(file, impostor, alg)).toBe('error: Unauthorized');
  });
});
