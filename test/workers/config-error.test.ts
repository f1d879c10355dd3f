/**
 * A configuration the gate rejects: logged once with the option and the fix, then every request
 * fails closed with a generic 500, and nothing reaches the origin or the provider.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { authConfig, bearer, type Scene, startScene } from './setup.ts';

let scene: Scene | undefined;
afterEach(async () => {
  await scene?.close();
  scene = undefined;
});

describe('configuration errors', () => {
  it('fails closed with a generic 500 and logs the option once when JWT_AUDIENCE is blank', async () => {
    scene = await startScene({ vars: { JWT_AUDIENCE: '   ' } });
    const token = await scene.token();

    const answers = [];
    for (const path of ['/orders', '/health', '/admin/x']) {
      answers.push(await scene.gate.fetch(path, { headers: bearer(token) }));
    }

    for (const answer of answers) {
      expect(answer.status).toBe(500);
      expect(answer.json()).toEqual({ error: 'server_error', code: 'configuration_error' });
      expect(answer.body).not.toContain('JWT_AUDIENCE');
      expect(answer.headers.get('www-authenticate')).toBeNull();
    }
    const [line] = await scene.gate.output.waitFor((l) => l.event === 'config_error');
    expect(line?.option).toBe('JWT_AUDIENCE');
    expect(typeof line?.fix).toBe('string');
    expect(scene.gate.output.events('config_error')).toHaveLength(1);
    expect(scene.origin.received).toHaveLength(0);
    expect(scene.provider.count()).toBe(0);
  });

  it('fails closed when AUTH_CONFIG is not valid JSON', async () => {
    scene = await startScene({ vars: { AUTH_CONFIG: '{"routes": [' } });

    const answer = await scene.gate.fetch('/health');

    expect(answer.status).toBe(500);
    const [line] = await scene.gate.output.waitFor((l) => l.event === 'config_error');
    expect(line?.option).toBe('AUTH_CONFIG');
    expect(scene.origin.received).toHaveLength(0);
  });

  it('fails closed when ORIGIN_URL is not an absolute URL', async () => {
    scene = await startScene({ vars: { ORIGIN_URL: 'origin.internal/api' } });

    const answer = await scene.gate.fetch('/health');

    expect(answer.status).toBe(500);
    const [line] = await scene.gate.output.waitFor((l) => l.event === 'config_error');
    expect(line?.option).toBe('ORIGIN_URL');
  });

  it('fails closed when a forwarded claim would replace the verified subject header', async () => {
    // With `name` on X-Auth-Subject, a user who picks their own display name picks their subject.
    scene = await startScene({ auth: authConfig({ forwardClaims: { name: 'X_Auth_Subject' } }) });
    const token = await scene.token({ name: 'someone-else' });

    const answer = await scene.gate.fetch('/orders', { headers: bearer(token) });

    expect(answer.status).toBe(500);
    const [line] = await scene.gate.output.waitFor((l) => l.event === 'config_error');
    expect(line?.option).toBe('AUTH_CONFIG.forwardClaims.name');
    expect(scene.origin.received).toHaveLength(0);
  });

  it('skips the cron refresh without a provider request when the configuration is broken', async () => {
    scene = await startScene({ vars: { JWT_ISSUER: '' } });

    await scene.gate.scheduled();

    await scene.gate.output.waitFor((l) => l.event === 'config_error');
    expect(scene.provider.count()).toBe(0);
  });
});
