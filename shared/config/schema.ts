/**
 * The shape of `AUTH_CONFIG`, as a valibot schema: types, blank values, ranges, closed lists and
 * unknown keys. Rules that tie several options together live in `normalise.ts`.
 */
import * as v from 'valibot';
import { PROVIDERS } from './defaults.ts';

const BLANK = 'is empty or only whitespace';

/** A string that is not blank once trimmed; the trimmed value is kept. */
const text = v.pipe(v.string('must be a string'), v.trim(), v.nonEmpty(BLANK));

/** An array of non-blank strings. */
const textList = v.array(text, 'must be an array of strings');

/** A string or an array of strings, always given back as an array; blank items are errors. */
const textOrList = v.pipe(
  v.unknown(),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const value = dataset.value;
    const items = Array.isArray(value) ? value : [value];
    if (Array.isArray(value) && value.length === 0) {
      addIssue({ message: 'is an empty list' });
      return;
    }
    items.forEach((item, index) => {
      const where = Array.isArray(value) ? `item ${index} ` : '';
      if (typeof item !== 'string') addIssue({ message: `${where}must be a string` });
      else if (item.trim() === '') addIssue({ message: `${where}${BLANK}` });
      // `"a,b"` (the JWT_AUDIENCE habit) would be one item "a,b", and `" , "` one item ",":
      // a list that silently matches nothing. A list is an array here.
      else if (!Array.isArray(value) && item.trim().startsWith('[')) {
        // `"[\"a\",\"b\"]"`: the array was serialised once too often (a template or an env
        // file that quotes JSON inside JSON).
        addIssue({ message: 'is a JSON array written as a string; give the array itself' });
      } else if (!Array.isArray(value) && item.includes(',')) {
        addIssue({ message: 'is one string holding commas; give a list as an array of strings' });
      }
    });
  }),
  v.transform((value) => (Array.isArray(value) ? value : [value]).map((s) => String(s).trim())),
);

/** A whole number within bounds. */
const wholeNumber = (min: number, max: number) =>
  v.pipe(
    v.number('must be a number'),
    v.integer('must be a whole number'),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

/** A positive finite number (fractions allowed) up to `max`. */
const positiveNumber = (max: number) =>
  v.pipe(
    v.number('must be a number'),
    v.finite('must be finite'),
    v.gtValue(0, 'must be greater than 0'),
    v.maxValue(max, `must be at most ${max}`),
  );

const flag = v.boolean('must be true or false');

/** Keys valibot's record leaves out silently; refused so no requirement is dropped unseen. */
const UNSAFE_KEYS = ['__proto__', 'constructor', 'prototype'];

/** A record of `value` by non-blank names, refusing the names a record would drop. */
const recordOf = <T extends v.GenericSchema>(value: T, message: string) =>
  v.pipe(
    v.unknown(),
    v.rawCheck(({ dataset, addIssue }) => {
      const input = dataset.value;
      if (typeof input !== 'object' || input === null) return;
      // valibot's record takes an array as an object with no keys; `claims: []` is a mistake.
      if (Array.isArray(input)) addIssue({ message });
      for (const key of UNSAFE_KEYS) {
        if (Object.hasOwn(input, key)) addIssue({ message: `uses the reserved name "${key}"` });
      }
    }),
    v.record(text, value, message),
  );

/** One entry of `issuers`. */
export const issuerSchema = v.strictObject(
  {
    issuer: text,
    provider: v.optional(v.picklist(PROVIDERS, `must be one of ${PROVIDERS.join(', ')}`)),
    audiences: v.optional(textOrList),
    allowAnyAudience: v.optional(flag),
    jwksUrl: v.optional(text),
    algorithms: v.optional(textOrList),
    clockToleranceSeconds: v.optional(wholeNumber(0, 300)),
    maxTokenAgeSeconds: v.optional(wholeNumber(1, 31_536_000)),
    typ: v.optional(text),
    requiredClaims: v.optional(textList),
    tokenUse: v.optional(v.picklist(['access', 'id'], 'must be "access" or "id"')),
    clientIds: v.optional(textOrList),
    authorizedParties: v.optional(textOrList),
    tenants: v.optional(textOrList),
  },
  'must be an object',
);

/** A value a claim requirement may accept. */
type ClaimValue = string | number | boolean;

function isClaimValue(value: unknown): value is ClaimValue {
  return (
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && !Number.isNaN(value))
  );
}

/**
 * One value or an array of values. A plain check, not a union of schemas: a union gave the same
 * one issue at the claim's path and cost about a kilobyte of the Worker bundle.
 */
const claimValues = v.custom<ClaimValue | ClaimValue[]>(
  (value) => isClaimValue(value) || (Array.isArray(value) && value.every(isClaimValue)),
  'must be a value or an array of values',
);

/** One entry of `routes`. */
export const routeSchema = v.strictObject(
  {
    path: text,
    method: v.optional(text),
    methods: v.optional(v.pipe(textList, v.nonEmpty('is an empty list'))),
    public: v.optional(flag),
    scopes: v.optional(textOrList),
    scopesMatch: v.optional(v.picklist(['all', 'any'], 'must be "all" or "any"')),
    claims: v.optional(recordOf(claimValues, 'must be an object of claim to values')),
    queryParameter: v.optional(text),
  },
  'must be an object',
);

/** `credentials`. */
export const credentialsSchema = v.strictObject(
  {
    bearer: v.optional(flag),
    cookie: v.optional(text),
    header: v.optional(text),
    maxTokenBytes: v.optional(wholeNumber(256, 65_536)),
  },
  'must be an object',
);

/** `cache`. */
export const cacheSchema = v.strictObject(
  {
    defaultMaxAgeSeconds: v.optional(wholeNumber(1, 604_800)),
    minMaxAgeSeconds: v.optional(wholeNumber(0, 604_800)),
    maxMaxAgeSeconds: v.optional(wholeNumber(1, 604_800)),
    staleWindowSeconds: v.optional(wholeNumber(0, 2_592_000)),
    failureBackoffSeconds: v.optional(wholeNumber(1, 3600)),
    unknownKidCooldownSeconds: v.optional(wholeNumber(1, 3600)),
    fetchTimeoutSeconds: v.optional(positiveNumber(60)),
    maxResponseBytes: v.optional(wholeNumber(1024, 16_777_216)),
  },
  'must be an object',
);

/** `identityHeaders`. */
export const identityHeadersSchema = v.strictObject(
  { subject: v.optional(text), issuer: v.optional(text) },
  'must be an object',
);

/** The whole of `AUTH_CONFIG`. */
export const authConfigSchema = v.strictObject(
  {
    issuers: v.optional(v.array(issuerSchema, 'must be an array')),
    routes: v.optional(v.array(routeSchema, 'must be an array')),
    credentials: v.optional(credentialsSchema),
    forwardClaims: v.optional(recordOf(text, 'must be an object of claim to header name')),
    identityHeaders: v.optional(identityHeadersSchema),
    forwardAuthorization: v.optional(flag),
    corsOrigins: v.optional(textOrList),
    realm: v.optional(text),
    cache: v.optional(cacheSchema),
    tokenCacheEntries: v.optional(wholeNumber(0, 1_000_000)),
  },
  'must be an object',
);

/** `AUTH_CONFIG` after the schema: trimmed strings, lists as arrays, absent options absent. */
export type RawAuthConfig = v.InferOutput<typeof authConfigSchema>;
/** One raw issuer entry. */
export type RawIssuer = v.InferOutput<typeof issuerSchema>;
/** One raw route entry. */
export type RawRoute = v.InferOutput<typeof routeSchema>;

/** The known keys of each object in the schema, for "did you mean" hints. */
export const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  '': Object.keys(authConfigSchema.entries),
  'issuers[]': Object.keys(issuerSchema.entries),
  'routes[]': Object.keys(routeSchema.entries),
  credentials: Object.keys(credentialsSchema.entries),
  cache: Object.keys(cacheSchema.entries),
  identityHeaders: Object.keys(identityHeadersSchema.entries),
};
