import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCheckConfig } from '../../tools/commands/check-config.ts';
import {
  NO_VALUE,
  parseTemplate,
  resolveValue,
  templateFunctions,
} from '../../tools/config/cloudformation.ts';
import { UsageError } from '../../tools/lib/output.ts';
import { repoRoot } from './realdata.ts';

const wranglerToml = readFileSync(resolve(repoRoot, 'wrangler.toml'), 'utf8');
const templateYaml = readFileSync(resolve(repoRoot, 'template.yaml'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'check-config-'));
let count = 0;

function copy(text: string, name: string): string {
  const file = join(dir, `${count++}-${name}`);
  writeFileSync(file, text);
  return file;
}

/** Replaces exactly one occurrence, so a test fails loudly if the file it edits changes shape. */
function edit(text: string, from: string | RegExp, to: string): string {
  const matches = text.match(
    typeof from === 'string' ? new RegExp(escapeRegExp(from), 'g') : new RegExp(from, 'g'),
  );
  expect(matches?.length, `expected one "${from}"`).toBe(1);
  return text.replace(from, to);
}
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const parameters = [
  'JwtIssuer=https://tenant.example.auth0.com/',
  'JwtAudience=https://api.example.com',
];

describe('check-config on the repository files', () => {
  it('accepts the repository wrangler.toml and template.yaml', async () => {
    const { exitCode, data } = await runCheckConfig({ parameter: parameters });
    expect(exitCode).toBe(0);
    expect(data.checks.map((c) => [c.target, c.ok, c.checked])).toEqual([
      ['vars', true, true],
      ['function AuthorizerFunction', true, true],
    ]);
  });

  it('marks template functions whose parameters have no default as not checked, not valid', async () => {
    const { exitCode, data, text } = await runCheckConfig({});
    expect(exitCode).toBe(0);
    const lambda = data.checks.find((c) => c.target === 'function AuthorizerFunction');
    expect(lambda?.checked).toBe(false);
    expect(lambda?.notes.join('\n')).toMatch(/--parameter JwtIssuer=/);
    expect(text).toMatch(/1 not checked/);
  });
});

describe('check-config on the KV binding', () => {
  it('notes a KV binding under another name, which the gate would ignore', async () => {
    const file = copy(
      edit(wranglerToml, /binding = "JWKS_CACHE"/, 'binding = "JWKS_KV"'),
      'wrangler.toml',
    );
    const { exitCode, data } = await runCheckConfig({ wrangler: file });
    // Memory only is a valid way to run: a note, not an error.
    expect(exitCode).toBe(0);
    expect(data.checks[0]?.notes.join('\n')).toMatch(
      /binds JWKS_KV, but the gate reads only the binding JWKS_CACHE.*Fix: binding = "JWKS_CACHE"/,
    );
  });

  it('notes the example namespace id, and says nothing once a real id or no block is there', async () => {
    const shipped = await runCheckConfig({ wrangler: copy(wranglerToml, 'wrangler.toml') });
    expect(shipped.data.checks[0]?.notes.join('\n')).toMatch(/still has the example id/);
    const real = edit(wranglerToml, /id = "0+"/, 'id = "0f2ac74b498b48028cb68387c421e279"');
    const configured = await runCheckConfig({ wrangler: copy(real, 'wrangler.toml') });
    expect(configured.data.checks[0]?.notes).toEqual([]);
    const removed = edit(
      wranglerToml,
      /\[\[kv_namespaces\]\]\nbinding = "JWKS_CACHE"\nid = "0+"\n/,
      '',
    );
    const none = await runCheckConfig({ wrangler: copy(removed, 'wrangler.toml') });
    expect(none.data.checks[0]?.notes).toEqual([]);
  });

  it('notes an environment whose own bindings lack the JWKS_CACHE binding', async () => {
    const withEnv = `${wranglerToml}\n[env.staging.vars]\nJWT_ISSUER = "https://tenant.example.auth0.com/"\nJWT_AUDIENCE = "a"\n\n[[env.staging.kv_namespaces]]\nbinding = "CACHE"\nid = "0f2ac74b498b48028cb68387c421e279"\n`;
    const { data } = await runCheckConfig({ wrangler: copy(withEnv, 'wrangler.toml') });
    const staging = data.checks.find((c) => c.target === 'env.staging.vars');
    expect(staging?.notes.join('\n')).toMatch(/\[\[env\.staging\.kv_namespaces\]\] binds CACHE/);
  });
});

describe('check-config on broken wrangler.toml copies', () => {
  it('fails on an empty JWT_AUDIENCE and names it', async () => {
    const file = copy(
      edit(wranglerToml, /JWT_AUDIENCE = "[^"]*"/, 'JWT_AUDIENCE = ""'),
      'wrangler.toml',
    );
    const { exitCode, data, text } = await runCheckConfig({ wrangler: file });
    expect(exitCode).toBe(1);
    expect(data.checks[0]?.error?.option).toBe('JWT_AUDIENCE');
    expect(text).toMatch(/JWT_AUDIENCE: .*Fix: /);
  });

  it('fails on a misspelt AUTH_CONFIG option and suggests the right one', async () => {
    const file = copy(edit(wranglerToml, 'corsOrigins = [', 'corsOrigin = ['), 'wrangler.toml');
    const { data } = await runCheckConfig({ wrangler: file });
    expect(data.checks[0]?.error?.option).toBe('AUTH_CONFIG.corsOrigin');
    expect(data.checks[0]?.error?.fix).toMatch(/corsOrigins/);
  });

  it('fails on an ORIGIN_URL the Worker would refuse', async () => {
    const file = copy(
      edit(wranglerToml, /ORIGIN_URL = "[^"]*"/, 'ORIGIN_URL = "not a url"'),
      'wrangler.toml',
    );
    const { data } = await runCheckConfig({ wrangler: file });
    expect(data.checks[0]?.error?.option).toBe('ORIGIN_URL');
  });

  it('checks every [env.NAME.vars] table on its own', async () => {
    const extra =
      '\n[env.staging.vars]\nJWT_ISSUER = "https://staging.example.com/"\nJWT_AUDIENCE = " "\n';
    const file = copy(`${wranglerToml}${extra}`, 'wrangler.toml');
    const { exitCode, data } = await runCheckConfig({ wrangler: file });
    expect(exitCode).toBe(1);
    expect(data.checks.map((c) => [c.target, c.ok])).toEqual([
      ['vars', true],
      ['env.staging.vars', false],
    ]);
  });

  it('fails an [env.NAME] without a vars table, since wrangler does not inherit [vars]', async () => {
    const extra = '\n[env.production]\nname = "edge-jwt-authorizer-production"\n';
    const file = copy(`${wranglerToml}${extra}`, 'wrangler.toml');
    const { exitCode, data, text } = await runCheckConfig({ wrangler: file });
    expect(exitCode).toBe(1);
    const production = data.checks.find((c) => c.target === 'env.production.vars');
    expect(production?.error?.option).toBe('JWT_ISSUER');
    expect(text).toMatch(/\[env\.production\] has no vars table and wrangler does not inherit/);
  });
});

describe('check-config on broken template.yaml copies', () => {
  it('fails on an AUTH_CONFIG default with an empty issuer and names the option path', async () => {
    const broken = edit(
      templateYaml,
      /AuthConfig:\n(\s+)Type: String\n(\s+)Default: ""/,
      'AuthConfig:\n$1Type: String\n$2Default: \'{"issuers":[{"issuer":"","audiences":["a"]}]}\'',
    );
    const { exitCode, data } = await runCheckConfig({
      template: copy(broken, 'template.yaml'),
      parameter: parameters,
    });
    expect(exitCode).toBe(1);
    expect(data.checks[0]?.error?.option).toMatch(/^AUTH_CONFIG\.issuers\[0\]\.issuer/);
  });

  it('fails on a Lambda-only setting with a value start-up refuses', async () => {
    const broken = edit(templateYaml, /Default: iam\b/, 'Default: policy');
    const { data } = await runCheckConfig({
      template: copy(broken, 'template.yaml'),
      parameter: parameters,
    });
    expect(data.checks[0]?.error?.option).toBe('AUTHORIZER_RESPONSE');
  });

  it('takes the issuers from AuthConfig alone when JwtIssuer and JwtAudience are given empty', async () => {
    // Cognito access tokens need the profile (tokenUse, clientIds), which only AUTH_CONFIG can
    // say: the template must let the JWT_* variables be left out, not set to "".
    const cognito = {
      issuers: [
        {
          issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_BGU9CKFCM',
          provider: 'cognito',
          tokenUse: 'access',
          clientIds: ['1example23456789'],
        },
      ],
    };
    const template = resolve(repoRoot, 'template.yaml');
    const ok = await runCheckConfig({
      template,
      parameter: ['JwtIssuer=', 'JwtAudience=', `AuthConfig=${JSON.stringify(cognito)}`],
    });
    expect(ok.exitCode).toBe(0);
    expect(ok.data.checks[0]).toMatchObject({ ok: true, checked: true });
    expect(ok.data.checks[0]?.issuers).toEqual([cognito.issuers[0]?.issuer]);

    // With nothing anywhere the check still fails, on the missing issuer.
    const none = await runCheckConfig({ template, parameter: ['JwtIssuer=', 'JwtAudience='] });
    expect(none.exitCode).toBe(1);
    expect(none.data.checks[0]?.error?.message).toMatch(/^JWT_ISSUER: is not set/);
  });

  it('fails on a blank JWT_ISSUER given at deploy time', async () => {
    const { data } = await runCheckConfig({
      template: resolve(repoRoot, 'template.yaml'),
      parameter: ['JwtIssuer= ', 'JwtAudience=api'],
    });
    expect(data.checks[0]?.error?.option).toBe('JWT_ISSUER');
  });
});

describe('check-config --parameter names', () => {
  it('refuses a misspelt parameter with a did-you-mean instead of ignoring it', async () => {
    const template = copy(templateYaml, 'template.yaml');
    const run = runCheckConfig({ template, parameter: ['JwtIsuer=https://a.example/'] });
    await expect(run).rejects.toBeInstanceOf(UsageError);
    await expect(
      runCheckConfig({ template, parameter: ['JwtIsuer=https://a.example/'] }),
    ).rejects.toThrow(
      `--parameter JwtIsuer: ${template} has no such parameter; did you mean JwtIssuer? ` +
        '(it declares JwtIssuer, JwtAudience, JwksUrl, ',
    );
  });

  it('names every declared parameter when nothing is close to the unknown one', async () => {
    const template = copy(templateYaml, 'template.yaml');
    await expect(runCheckConfig({ template, parameter: ['Region=eu-west-1'] })).rejects.toThrow(
      /^--parameter Region: .* has no such parameter; it declares JwtIssuer, JwtAudience, .*AuthConfig/,
    );
  });

  it('still accepts declared parameters', async () => {
    const template = copy(templateYaml, 'template.yaml');
    const { exitCode } = await runCheckConfig({ template, parameter: parameters });
    expect(exitCode).toBe(0);
  });
});

describe('check-config with a samconfig.toml', () => {
  function deployDir(overrides: string): string {
    const folder = mkdtempSync(join(tmpdir(), 'sam-'));
    writeFileSync(join(folder, 'template.yaml'), templateYaml);
    writeFileSync(
      join(folder, 'samconfig.toml'),
      `version = 0.1\n[default.deploy.parameters]\nparameter_overrides = ${JSON.stringify(overrides)}\n`,
    );
    return join(folder, 'template.yaml');
  }

  it('checks the template with the parameter values the next sam deploy will use', async () => {
    const template = deployDir('JwtIssuer="https://tenant.example.auth0.com/" JwtAudience=api');
    const { exitCode, data } = await runCheckConfig({ template });
    expect(exitCode).toBe(0);
    expect(data.checks[0]).toMatchObject({
      checked: true,
      issuers: ['https://tenant.example.auth0.com/'],
    });
  });

  it('fails on a samconfig value start-up refuses, and lets --parameter override it', async () => {
    const template = deployDir('JwtIssuer="https://tenant.example.auth0.com/" JwtAudience=" "');
    const broken = await runCheckConfig({ template });
    expect(broken.data.checks[0]?.error?.option).toBe('JWT_AUDIENCE');
    const fixed = await runCheckConfig({ template, parameter: ['JwtAudience=api'] });
    expect(fixed.exitCode).toBe(0);
  });
});

describe('CloudFormation templates', () => {
  const text = [
    'Parameters:',
    '  Issuer: { Type: String, Default: "https://id.example.com/" }',
    'Globals:',
    '  Function:',
    '    Environment:',
    '      Variables:',
    '        JWT_ALGORITHMS: RS256',
    'Resources:',
    '  Fn:',
    '    Type: AWS::Serverless::Function',
    '    Properties:',
    '      Role: !GetAtt Role.Arn',
    '      Environment:',
    '        Variables:',
    '          JWT_ISSUER: !Ref Issuer',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation !Sub syntax.
    '          JWT_AUDIENCE: !Sub "api://${AWS::Region}/${Issuer}"',
    '          JWKS_URL: !Join ["", [!Ref Issuer, ".well-known/jwks.json"]]',
    '          AUTH_CONFIG: !If [Cond, "{}", !Ref AWS::NoValue]',
  ].join('\n');

  it('parses the short-form intrinsic tags and merges Globals into each function', () => {
    const [fn] = templateFunctions(parseTemplate(text));
    expect(fn?.name).toBe('Fn');
    expect(Object.keys(fn?.variables ?? {})).toEqual([
      'JWT_ALGORITHMS',
      'JWT_ISSUER',
      'JWT_AUDIENCE',
      'JWKS_URL',
      'AUTH_CONFIG',
    ]);
  });

  it('resolves Ref, Sub and Join against defaults and pseudo parameters, and not If', () => {
    const [fn] = templateFunctions(parseTemplate(text));
    const params = { Issuer: 'https://id.example.com/' };
    const vars = fn?.variables ?? {};
    expect(resolveValue(vars.JWT_AUDIENCE, params)).toEqual({
      ok: true,
      value: 'api://us-east-1/https://id.example.com/',
    });
    expect(resolveValue(vars.JWKS_URL, params)).toEqual({
      ok: true,
      value: 'https://id.example.com/.well-known/jwks.json',
    });
    expect(resolveValue(vars.AUTH_CONFIG, params).ok).toBe(false);
  });
});

describe('CloudFormation conditions', () => {
  const text = [
    'Parameters:',
    '  Issuer: { Type: String }',
    '  Mode: { Type: String, Default: iam }',
    'Conditions:',
    '  HasIssuer: !Not [!Equals [!Ref Issuer, ""]]',
    '  Simple:',
    '    Fn::Equals: [!Ref Mode, simple]',
    '  Both: !And [!Condition HasIssuer, { Condition: Simple }]',
    '  Loop: !Not [!Condition Loop]',
    'Resources:',
    '  Fn:',
    '    Type: AWS::Serverless::Function',
    '    Properties:',
    '      Environment:',
    '        Variables:',
    '          JWT_ISSUER: !If [HasIssuer, !Ref Issuer, !Ref AWS::NoValue]',
    '          MODE: { "Fn::If": [Both, both, !If [Simple, simple, other]] }',
    '          LOOP: !If [Loop, a, b]',
    '          UNDECLARED: !If [Missing, a, b]',
  ].join('\n');
  const template = parseTemplate(text);
  const conditions = template.Conditions as Record<string, unknown>;
  const vars = templateFunctions(template)[0]?.variables ?? {};

  it('chooses the branch of If by the parameters, and NoValue leaves the value out', () => {
    expect(resolveValue(vars.JWT_ISSUER, { Issuer: 'https://a.example' }, conditions)).toEqual({
      ok: true,
      value: 'https://a.example',
    });
    expect(resolveValue(vars.JWT_ISSUER, { Issuer: '' }, conditions)).toEqual({
      ok: true,
      value: NO_VALUE,
    });
    expect(resolveValue(vars.MODE, { Issuer: 'x', Mode: 'simple' }, conditions)).toEqual({
      ok: true,
      value: 'both',
    });
    expect(resolveValue(vars.MODE, { Issuer: '', Mode: 'simple' }, conditions)).toEqual({
      ok: true,
      value: 'simple',
    });
    expect(resolveValue(vars.MODE, { Issuer: '', Mode: 'iam' }, conditions)).toEqual({
      ok: true,
      value: 'other',
    });
  });

  it('leaves If unresolved when a parameter is missing, the condition is undeclared or loops', () => {
    expect(resolveValue(vars.JWT_ISSUER, {}, conditions)).toEqual({
      ok: false,
      reason: '!Ref Issuer has no default value; pass --parameter Issuer=...',
    });
    expect(resolveValue(vars.UNDECLARED, {}, conditions).ok).toBe(false);
    expect(resolveValue(vars.LOOP, {}, conditions).ok).toBe(false);
  });
});
