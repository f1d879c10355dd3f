/**
 * Provider profiles: choosing the issuer configuration for a token's `iss` (with Entra's
 * `{tenantid}` template bound to the token's own `tid`), and the checks a provider needs after
 * the generic ones: Cognito `token_use`/`client_id`, `azp` against authorized parties (Clerk),
 * Entra's tenant allow-list.
 */
import { TENANT_TEMPLATE } from './config/defaults.ts';
import { AuthError } from './errors.ts';
import type { IssuerConfig } from './types.ts';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Issuers a provider writes in more than one spelling, each group one issuer. Google signs ID
 * tokens with `iss` either `https://accounts.google.com` or `accounts.google.com`, depending on
 * the client (its OpenID Connect guide says to accept both), with the same keys.
 */
const SPELLINGS: Readonly<Partial<Record<IssuerConfig['provider'], readonly string[][]>>> = {
  google: [['https://accounts.google.com', 'accounts.google.com']],
};

interface Template {
  readonly config: IssuerConfig;
  readonly prefix: string;
  readonly suffix: string;
}

/** Finds the configured issuer for a token; built once per configuration. */
export class IssuerIndex {
  readonly #exact = new Map<string, IssuerConfig>();
  readonly #templates: Template[] = [];

  constructor(issuers: readonly IssuerConfig[]) {
    for (const config of issuers) {
      const at = config.issuer.indexOf(TENANT_TEMPLATE);
      if (at < 0) this.#exact.set(config.issuer, config);
      else {
        const suffix = config.issuer.slice(at + TENANT_TEMPLATE.length);
        this.#templates.push({ config, prefix: config.issuer.slice(0, at), suffix });
      }
    }
    // The provider's other spellings of a configured issuer, after every exact issuer, so an
    // issuer configured on its own is never shadowed by another's spelling.
    for (const config of issuers) {
      const group = SPELLINGS[config.provider]?.find((names) => names.includes(config.issuer));
      for (const name of group ?? []) if (!this.#exact.has(name)) this.#exact.set(name, config);
    }
  }

  /**
   * The issuer whose `iss` equals the token's exactly (RFC 7519 §4.1.1; no trailing-slash or
   * case normalisation), or one of the provider's documented spellings of it (Google). For an
   * Entra template, `iss` must equal the template with the token's own `tid` substituted (C08):
   * a token cannot borrow another tenant's issuer, and an `iss` that literally contains
   * `{tenantid}` matches nothing.
   * @throws AuthError `issuer_unknown`
   */
  resolve(iss: string, payload: Readonly<Record<string, unknown>>): IssuerConfig {
    const exact = this.#exact.get(iss);
    if (exact) return exact;
    if (this.#templates.length > 0 && !iss.includes(TENANT_TEMPLATE)) {
      const tid = payload.tid;
      if (typeof tid === 'string' && GUID.test(tid)) {
        for (const { config, prefix, suffix } of this.#templates) {
          if (iss === `${prefix}${tid}${suffix}`) return config;
        }
      }
    }
    throw new AuthError('issuer_unknown', 'token iss is not a configured issuer', { claim: 'iss' });
  }
}

function failed(claim: string, message: string, issuer: IssuerConfig): AuthError {
  return new AuthError('profile_check_failed', message, { claim, issuer: issuer.issuer });
}

/**
 * The provider's own checks, run after the signature and the registered claims verified.
 * @throws AuthError `profile_check_failed`
 */
export function checkProfile(
  issuer: IssuerConfig,
  payload: Readonly<Record<string, unknown>>,
): void {
  const { profile } = issuer;

  if (issuer.provider === 'cognito') {
    // Cognito signs ID and access tokens with the same keys; `token_use` tells them apart.
    if (payload.token_use !== profile.tokenUse)
      throw failed('token_use', 'token_use is not the configured one', issuer);
    if (profile.tokenUse === 'access') {
      // Access tokens carry the app client in `client_id` and have no `aud`.
      const clientId = payload.client_id;
      if (typeof clientId !== 'string' || !profile.clientIds?.includes(clientId)) {
        throw failed('client_id', 'client_id is not a configured app client', issuer);
      }
    }
  }

  if (profile.authorizedParties !== undefined) {
    // OIDC Core §2 `azp`: the party the token was issued to.
    const azp = payload.azp;
    if (typeof azp !== 'string' || !profile.authorizedParties.includes(azp)) {
      throw failed('azp', 'azp is missing or not an authorized party', issuer);
    }
  }

  if (issuer.provider === 'entra' && profile.tenants !== undefined) {
    const tid = payload.tid;
    if (typeof tid !== 'string' || !GUID.test(tid))
      throw failed('tid', 'tid is missing or not a tenant id', issuer);
    if (profile.tenants !== '*' && !profile.tenants.includes(tid.toLowerCase())) {
      throw failed('tid', 'tid is not an allowed tenant', issuer);
    }
  }
}
