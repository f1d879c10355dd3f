/**
 * `template.yaml` deploys what the tests test: the esbuild bundle `npm run build` writes, on a
 * current Node runtime, with the configuration contract as parameters, a cached REST authorizer,
 * an HTTP API variant whose simple responses are never cached, and a public route.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, type ScalarTag } from 'yaml';
import { bundlePath, repoRoot } from './harness.ts';

type Json = Record<string, unknown>;

/** CloudFormation short-form tags, in their scalar forms (the ones the template uses). */
const CFN_TAGS: ScalarTag[] = [
  { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
  { tag: '!Sub', resolve: (value: string) => ({ 'Fn::Sub': value }) },
  { tag: '!GetAtt', resolve: (value: string) => ({ 'Fn::GetAtt': value.split('.') }) },
];

const template = parse(readFileSync(join(repoRoot, 'template.yaml'), 'utf8'), {
  customTags: CFN_TAGS,
}) as Json;
const resources = template.Resources as Record<string, { Type: string; Properties: Json }>;
const parameters = template.Parameters as Record<string, Json>;

/** Resolves `Fn::If` on the `SimpleResponses` condition for one parameter value. */
function resolveIf(value: unknown, simple: boolean): unknown {
  if (typeof value === 'object' && value !== null && 'Fn::If' in value) {
    const [condition, whenTrue, whenFalse] = (value as { 'Fn::If': unknown[] })['Fn::If'];
    expect(condition).toBe('SimpleResponses');
    return simple ? whenTrue : whenFalse;
  }
  return value;
}

const authorizer = resources.AuthorizerFunction!;

describe('template.yaml', () => {
  it('deploys the bundle that npm run build writes, on Node 22 or later', () => {
    expect(authorizer.Type).toBe('AWS::Serverless::Function');
    expect(authorizer.Properties.CodeUri).toBe('dist/lambda');
    expect(authorizer.Properties.Handler).toBe('index.handler');
    expect(join(repoRoot, 'dist/lambda', 'index.mjs')).toBe(bundlePath);
    const runtime = /^nodejs(\d+)\.x$/.exec(String(authorizer.Properties.Runtime));
    expect(Number(runtime?.[1])).toBeGreaterThanOrEqual(22);
    expect(['arm64', 'x86_64']).toContain((authorizer.Properties.Architectures as string[])[0]);
    expect(authorizer.Properties.Metadata).toBeUndefined();
  });

  it('passes every environment variable of the contract from a parameter', () => {
    const variables = (authorizer.Properties.Environment as { Variables: Json }).Variables;

    expect(Object.keys(variables).sort()).toEqual(
      [
        'AUTH_CONFIG',
        'AUTHORIZER_RESPONSE',
        'JWKS_URL',
        'JWKS_WARM_UP',
        'JWT_ALGORITHMS',
        'JWT_AUDIENCE',
        'JWT_ISSUER',
      ].sort(),
    );
    const conditions = (template.Conditions ?? {}) as Json;
    for (const [variable, value] of Object.entries(variables)) {
      const chosen = (value as { 'Fn::If'?: [string, { Ref: string }, { Ref: string }] })['Fn::If'];
      const name = chosen ? chosen[1].Ref : (value as { Ref: string }).Ref;
      expect(parameters[name], name).toBeDefined();
      if (chosen) {
        // An empty parameter leaves the variable unset (a set but empty one is refused), and
        // nothing else does: the condition is exactly "the parameter is not empty".
        expect(chosen[2], variable).toEqual({ Ref: 'AWS::NoValue' });
        expect(conditions[chosen[0]], variable).toEqual({
          'Fn::Not': [{ 'Fn::Equals': [{ Ref: name }, ''] }],
        });
      }
    }
    expect(parameters.JwtIssuer?.Default).toBeUndefined();
    expect(parameters.JwtAudience?.Default).toBeUndefined();
    expect(parameters.AuthorizerResponse?.AllowedValues).toEqual(['iam', 'simple']);
  });

  it('puts a cached TOKEN authorizer in front of the REST API', () => {
    const auth = resources.RestApi!.Properties.Auth as Json;
    const jwt = (auth.Authorizers as Record<string, Json>)[auth.DefaultAuthorizer as string]!;

    expect(resources.RestApi!.Type).toBe('AWS::Serverless::Api');
    expect(jwt.FunctionArn).toEqual({ 'Fn::GetAtt': ['AuthorizerFunction', 'Arn'] });
    expect(['TOKEN', 'REQUEST']).toContain(jwt.FunctionPayloadType);
    expect((jwt.Identity as Json).ReauthorizeEvery).toBe(300);
  });

  it('never caches the HTTP API authorizer when it gives simple responses', () => {
    const auth = resources.HttpApi!.Properties.Auth as Json;
    const jwt = (auth.Authorizers as Record<string, Json>)[auth.DefaultAuthorizer as string]!;

    expect(resources.HttpApi!.Type).toBe('AWS::Serverless::HttpApi');
    expect(jwt.AuthorizerPayloadFormatVersion).toBe('2.0');
    expect(jwt.FunctionArn).toEqual({ 'Fn::GetAtt': ['AuthorizerFunction', 'Arn'] });
    for (const simple of [true, false]) {
      const ttl = resolveIf((jwt.Identity as Json).ReauthorizeEvery, simple);
      expect(resolveIf(jwt.EnableSimpleResponses, simple)).toBe(simple);
      expect(ttl).toBe(simple ? 0 : 300);
    }
  });

  it('shows the opt-out with a public route on each API', () => {
    const events = Object.values(resources.AppFunction!.Properties.Events as Record<string, Json>);
    const publicOn = events
      .filter(
        (event) => ((event.Properties as Json).Auth as Json | undefined)?.Authorizer === 'NONE',
      )
      .map((event) => event.Type);

    expect(publicOn.sort()).toEqual(['Api', 'HttpApi']);
  });
});

describe('tools/build-lambda.mjs', () => {
  it('rebuilds byte for byte the bundle the tests load and the template deploys', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'lambda-build-'));
    try {
      execFileSync(
        process.execPath,
        [join(repoRoot, 'tools/build-lambda.mjs'), '--outdir', outdir],
        {
          cwd: repoRoot,
          stdio: 'pipe',
        },
      );

      expect(readFileSync(join(outdir, 'index.mjs')).equals(readFileSync(bundlePath))).toBe(true);
      expect(JSON.parse(readFileSync(join(outdir, 'package.json'), 'utf8')).type).toBe('module');
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
