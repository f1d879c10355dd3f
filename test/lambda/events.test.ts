/**
 * Event normalisation on the real event files: method and path from the ARN, headers read
 * case-insensitively with repeated lines joined (C18), payload 2.0 cookies and query (C23).
 */
import { describe, expect, it } from 'vitest';
import { InvalidEventError, parseExecuteApiArn } from '../../lambda/arn.ts';
import { normalizeEvent } from '../../lambda/events.ts';
import { readEvent, requestEvent } from './harness.ts';

describe('parseExecuteApiArn', () => {
  it('splits the real REST ARN into the event API prefix, method and path', () => {
    const arn = parseExecuteApiArn(readEvent('request').methodArn);

    expect(arn).toMatchObject({
      region: 'us-east-1',
      account: '123456789012',
      apiId: 's4x3opwd6i',
      stage: 'test',
      method: 'GET',
      path: '/request',
      prefix: 'arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/',
    });
  });

  it('reads the root resource of the TOKEN event and keeps colons inside the path', () => {
    expect(parseExecuteApiArn(readEvent('token').methodArn)).toMatchObject({
      stage: '*',
      method: 'GET',
      path: '/',
    });
    expect(
      parseExecuteApiArn('arn:aws:execute-api:eu-west-1:123456789012:abc/$default/GET/t/10:00:00Z'),
    ).toMatchObject({ stage: '$default', path: '/t/10:00:00Z' });
  });

  it('reads a WebSocket $connect ARN as the opening handshake, GET /, of that route', () => {
    const arn = parseExecuteApiArn(
      'arn:aws-us-gov:execute-api:us-gov-west-1:123456789012:abcdef123/default/$connect',
    );

    expect(arn).toMatchObject({
      partition: 'aws-us-gov',
      stage: 'default',
      method: 'GET',
      path: '/',
      websocketRoute: '$connect',
      prefix: 'arn:aws-us-gov:execute-api:us-gov-west-1:123456789012:abcdef123/default/',
    });
    expect(parseExecuteApiArn(readEvent('request').methodArn).websocketRoute).toBeUndefined();
    // Authorizers run for `$connect` only; any other route key is not an authorizer ARN.
    expect(() =>
      parseExecuteApiArn('arn:aws:execute-api:us-east-1:123456789012:abcdef123/default/$default'),
    ).toThrow(InvalidEventError);
  });

  it('rejects ARNs of other services, wildcard ids and missing parts', () => {
    for (const text of [
      undefined,
      '',
      'arn:aws:lambda:us-east-1:123456789012:function:f',
      'arn:aws:execute-api:us-east-1:123456789012:*/prod/GET/',
      'arn:aws:execute-api:us-east-1:*:abc/prod/GET/',
      'arn:aws:execute-api:us-east-1:123456789012:abc/prod',
      'arn:aws:execute-api:us-east-1:123456789012:abc/pr*d/GET/',
    ]) {
      expect(() => parseExecuteApiArn(text), String(text)).toThrow(InvalidEventError);
    }
  });
});

describe('normalizeEvent', () => {
  it('presents the TOKEN event token as the credential header', () => {
    const { kind, request } = normalizeEvent(readEvent('token'), 'authorization');

    expect(kind).toBe('token');
    expect(request.header('Authorization')).toBe('allow');
    expect(request.header('cookie')).toBeNull();
  });

  it('joins repeated header lines the way Headers.get does and cookies with semicolons', () => {
    const event = requestEvent({
      Authorization: ['Basic dXNlcjpw', 'Bearer x'],
      Cookie: ['a=1', 'b=2'],
    });

    const { kind, request } = normalizeEvent(event, 'authorization');

    expect(kind).toBe('request');
    expect(request.header('authorization')).toBe('Basic dXNlcjpw, Bearer x');
    expect(request.header('COOKIE')).toBe('a=1; b=2');
    expect(request.header('x-amz-date')).toBe('20170718T062915Z');
    expect(request.query('QueryString1')).toBe('queryValue1');
  });

  it('joins the same header spelled with two casings in the single-value map', () => {
    const event = readEvent('request');
    delete event.multiValueHeaders;
    Object.assign(event.headers as object, {
      Authorization: 'Bearer a',
      authorization: 'Bearer b',
    });

    expect(normalizeEvent(event, 'authorization').request.header('authorization')).toBe(
      'Bearer a, Bearer b',
    );
  });

  it('reads payload 2.0 cookies, raw query and routeArn, not the http block', () => {
    const { kind, arn, request } = normalizeEvent(readEvent('httpV2'), 'authorization');

    expect(kind).toBe('http-v2');
    expect(arn.stage).toBe('test');
    expect(`${request.method} ${request.path}`).toBe('GET /request');
    expect(request.header('cookie')).toBe('cookie1; cookie2');
    expect(request.header('authorization')).toBe('value');
    expect(request.query('parameter1')).toBe('value1,value2');
    expect(request.query('parameter2')).toBe('value');
  });

  it('tells payload 1.0 from a REST REQUEST event and ignores its authorizationToken', () => {
    const { kind, request } = normalizeEvent(readEvent('httpV1'), 'authorization');

    expect(kind).toBe('http-v1');
    expect(request.header('authorization')).toBeNull();
    expect(request.header('headerauth1')).toBe('headerValue1');
  });

  it('refuses anything that is not an authorizer event', () => {
    for (const event of [null, 'x', [], {}, { type: 'TOKEN' }, { type: 'OTHER', methodArn: 'x' }]) {
      expect(() => normalizeEvent(event, 'authorization')).toThrow(InvalidEventError);
    }
  });
});
