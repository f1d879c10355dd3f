/**
 * The public surface of the core, for the Worker, the Lambda, the tools and the benchmarks.
 */
export { type Authorizer, checkCookieOrigin, createAuthorizer, isPreflight } from './authorizer.ts';
export {
  CONFIG_DEFAULTS,
  DEFAULT_ALGORITHMS,
  isSymmetricOrNone,
  PROVIDERS,
  SUPPORTED_ALGORITHMS,
} from './config/defaults.ts';
export { OPTION_HELP, type OptionHelp } from './config/help.ts';
export { loadConfig } from './config/load.ts';
export { fixFor } from './config/options.ts';
export { fetchUrlProblem, isFetchableUrl } from './config/url.ts';
export {
  type Credential,
  checkTokenSize,
  extractCredential,
  parseAuthorization,
  readCookie,
} from './credentials.ts';
export * from './errors.ts';
export * from './jwks/index.ts';
export { keyFitsAlgorithm, MAX_CANDIDATE_KEYS, selectKeys } from './key-select.ts';
export { checkProfile, IssuerIndex } from './profiles.ts';
export {
  checkRequirement,
  DEFAULT_REQUIREMENT,
  heldRules,
  matchRoute,
  matchRoutes,
  methodReadings,
  pathSegments,
  ruleMatches,
  scopesOf,
} from './routes.ts';
export { TokenCache, validityWindow } from './token-cache.ts';
export { readHeader, readPayload, readToken, type UntrustedToken } from './token-parts.ts';
export type * from './types.ts';
export { createVerifier, type Verifier, verifySignature } from './verify.ts';
