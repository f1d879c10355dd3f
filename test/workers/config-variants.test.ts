/**
 * C07 and the start-up checks once more through the bundled Worker, with configurations the
 * other tests do not use: blanks in other whitespace, blank entries of an issuer's audience list
 * in AUTH_CONFIG, an issuer written as a TOML table with a blank value, and a forwarded-claim
 * header spelled like a credential header in another case. Each fails closed with the generic
 * 500 and one log line naming the option; nothing reaches the origin or the provider.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { authConfig, bearer, type Scene, type SceneOptions, startScene } from './setup.ts';

let scene: Scene | undefined;
afterEach(async () => {
  await scene?.close();
  scene = undefined;
});

const cases: [string, SceneOptions, RegExp][] = [
  ['JWT_ISSUER a tab and a newline', { vars: { JWT_ISSUER: '\t\n' } }, /JWT_ISSUER/],
  ['JWT_AUDIENCE a no-break space', { vars: { JWT_AUDIENCE: '\u00a0' } }, /JWT_AUDIENCE/],
  [
    'an AUTH_CONFIG issuer whose audiences hold a blank',
    {
      vars: { JWT_ISSUER: undefined, JWT_AUDIENCE: undefined, JWKS_URL: undefined },
      auth: (jwksUrl) =>
        authConfig({
          issuers: [{ issuer: 'https://a.example.test/', audiences: ['api', ' '], jwksUrl }],
        }),
    },
    /audiences|AUTH_CONFIG/,
  ],
  [
    'an AUTH_CONFIG table issuer with a blank issuer',
    {
      configAsObject: true,
      vars: { JWT_ISSUER: undefined, JWT_AUDIENCE: undefined, JWKS_URL: undefined },
      auth: (jwksUrl) => authConfig({ issuers: [{ issuer: ' ', audiences: ['api'], jwksUrl }] }),
    },
    /issuer|AUTH_CONFIG/,
  ],
  [
    'a forwarded claim onto COOKIE',
    { auth: authConfig({ forwardClaims: { email: 'COOKIE' } }) },
    /forwardClaims|AUTH_CONFIG/,
  ],
  [
    'a forwarded claim onto authorization',
    { auth: authConfig({ forwardClaims: { email: 'authorization' } }) },
    /forwardClaims|AUTH_CONFIG/,
  ],
];

describe('configurations the Worker must refuse at start-up', () => {
  it.each(cases)('%s', async (_, options, option) => {
    scene = await startScene(options);
    const answer = await scene.gate.fetch('/orders', { headers: bearer(await scene.token()) });

    expect(answer.status).toBe(500);
    expect(answer.json()).toEqual({ error: 'server_error', code: 'configuration_error' });
    const [line] = await scene.gate.output.waitFor((l) => l.event === 'config_error');
    expect(String(line?.option)).toMatch(option);
    expect(scene.origin.received).toHaveLength(0);
    expect(scene.provider.count()).toBe(0);
  });
});
