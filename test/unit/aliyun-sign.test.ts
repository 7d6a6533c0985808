import openapiUtil from '@alicloud/openapi-util';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EMPTY_SHA256, acs3Authorization, acs3CanonicalRequest, rpcSignature, rpcStringToSign } from '../../src/vendors/aliyun/sign.js';
import { buildAliyunRequest } from '../../src/vendors/aliyun/index.js';
import { createHash } from 'node:crypto';

const OU = ((openapiUtil as unknown as { default?: unknown }).default ?? openapiUtil) as {
  getRPCSignature(p: Record<string, string>, m: string, s: string): string;
  getAuthorization(r: { pathname: string; method: string; query: Record<string, string>; headers: Record<string, string> }, a: string, h: string, ak: string, sk: string): string;
};

describe('RPC HMAC-SHA1, published vectors (VENDORS.md A.3)', () => {
  const a1 = {
    AccessKeyId: 'testid', Action: 'DescribeRegions', Format: 'XML', SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf', SignatureVersion: '1.0', Timestamp: '2016-02-23T12:46:24Z', Version: '2014-05-26',
  };
  it('A-1 string to sign and signature (GET), and POST', () => {
    expect(rpcStringToSign('GET', a1)).toBe(
      'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26',
    );
    expect(rpcSignature('GET', a1, 'testsecret')).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
    expect(rpcSignature('POST', a1, 'testsecret')).toBe('MxbnVAM4w6sft9xjVpe/GCKueuk=');
  });
  it('A-2', () => {
    const p = { AccessKeyId: 'testid', Action: 'DescribeDedicatedHosts', Format: 'JSON', RegionId: 'cn-beijing', SignatureMethod: 'HMAC-SHA1', SignatureNonce: 'edb2b34af0af9a6d14deaf7c1a5315eb', SignatureVersion: '1.0', Timestamp: '2023-03-13T08:34:30Z', Version: '2014-05-26' };
    expect(rpcSignature('GET', p, 'testsecret')).toBe('9NaGiOspFP5UPcwX8Iwt2YJXXuk=');
    expect(rpcSignature('POST', p, 'testsecret')).toBe('ZvQ9xGiFnquSJRvj+WE6kdSpTwU=');
  });
  it('A-4, CDN-shaped with STS', () => {
    const p = { AccessKeyId: 'testid', Action: 'DescribeDomainSrcTrafficData', DomainName: 'example.com', EndTime: '2015-12-10T21:00:00Z', Format: 'JSON', Interval: '300', SecurityToken: 'test-token', SignatureMethod: 'HMAC-SHA1', SignatureNonce: '15215528852396', SignatureVersion: '1.0', StartTime: '2015-12-10T20:00:00Z', Timestamp: '2015-12-10T21:05:00Z', Version: '2018-05-10' };
    expect(rpcSignature('GET', p, 'testsecret')).toBe('cEWifZMVIsxfgmiMzOF2pwlbGp0=');
  });
});

describe('ACS3-HMAC-SHA256, published vectors (VENDORS.md A.3)', () => {
  it('A-3 RunInstances', () => {
    const input = {
      method: 'POST', pathname: '/', payloadSha256: EMPTY_SHA256,
      query: { ImageId: 'win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd', RegionId: 'cn-shanghai' },
      headers: { host: 'ecs.cn-shanghai.aliyuncs.com', 'x-acs-action': 'RunInstances', 'x-acs-version': '2014-05-26', 'x-acs-date': '2023-10-26T10:22:32Z', 'x-acs-signature-nonce': '3156853299f313e23d1673dc12e1703d', 'x-acs-content-sha256': EMPTY_SHA256 },
    };
    expect(createHash('sha256').update(acs3CanonicalRequest(input).canonical).digest('hex')).toBe('7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259');
    expect(acs3Authorization(input, 'YourAccessKeyId', 'YourAccessKeySecret')).toBe(
      'ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0',
    );
  });
  it('A-5 CDN-shaped with STS, as the adapter builds it', () => {
    const input = {
      method: 'POST', pathname: '/', payloadSha256: EMPTY_SHA256,
      query: { DomainName: 'example.com', EndTime: '2015-12-10T21:00:00Z', Interval: '300', StartTime: '2015-12-10T20:00:00Z' },
      headers: { host: 'cdn.aliyuncs.com', 'x-acs-action': 'DescribeDomainSrcTrafficData', 'x-acs-version': '2018-05-10', 'x-acs-date': '2015-12-10T21:05:00Z', 'x-acs-signature-nonce': '3156853299f313e23d1673dc12e1703d', 'x-acs-content-sha256': EMPTY_SHA256, 'x-acs-security-token': 'test-token' },
    };
    expect(createHash('sha256').update(acs3CanonicalRequest(input).canonical).digest('hex')).toBe('b462cdc9593d5dfcfcddf343849f2b1391f9d10c7bc9618629d040ab117663db');
    expect(acs3Authorization(input, 'testid', 'testsecret')).toBe(
      'ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,Signature=291eab66726be2ae15a92995f47fe5f0202ab96d668c4ed5623a49df8b69874b',
    );
  });
});

// Random inputs, including characters that need RFC 3986 care (space, *, ~, unicode, :, /).
const ALPHABET = 'abcXYZ019-_.~ *:/+=&%!\'()中文é';
function rnd(n: number): string {
  const b = randomBytes(n);
  return Array.from(b, (x) => ALPHABET[x % ALPHABET.length]).join('') || 'a';
}

describe('agrees with the official signer (@alicloud/openapi-util) on random inputs', () => {
  it('RPC v1, GET and POST', () => {
    for (let i = 0; i < 300; i++) {
      const params: Record<string, string> = {};
      for (let k = 0; k < 1 + (i % 7); k++) params[rnd(1 + (k % 5)) + k] = rnd(i % 13);
      const secret = rnd(20);
      for (const m of ['GET', 'POST']) expect(rpcSignature(m, params, secret)).toBe(OU.getRPCSignature(params, m, secret));
    }
  });
  it('ACS3', () => {
    for (let i = 0; i < 300; i++) {
      const query: Record<string, string> = {};
      // Parameter names are API names (letters, digits, dots); values may hold anything.
      for (let k = 0; k < i % 6; k++) query[`P${randomBytes(3).toString('hex')}.${k}`] = rnd(i % 11);
      const headers: Record<string, string> = {
        host: 'cdn.aliyuncs.com', 'x-acs-action': 'DescribeDomainSrcTrafficData', 'x-acs-version': '2018-05-10',
        'x-acs-date': '2026-11-20T10:00:00Z', 'x-acs-signature-nonce': randomBytes(8).toString('hex'), 'x-acs-content-sha256': EMPTY_SHA256,
      };
      if (i % 2) headers['x-acs-security-token'] = rnd(30);
      const ak = `LTAI${randomBytes(6).toString('hex')}`;
      const sk = rnd(30);
      const ours = acs3Authorization({ method: 'POST', pathname: '/', query, headers, payloadSha256: EMPTY_SHA256 }, ak, sk);
      expect(ours).toBe(OU.getAuthorization({ pathname: '/', method: 'POST', query, headers }, 'ACS3-HMAC-SHA256', EMPTY_SHA256, ak, sk));
    }
  });
  it('the request the adapter sends carries exactly what it signed', () => {
    const ctx = { nowMs: Date.parse('2026-11-20T10:00:00Z'), nonce: 'abc', credentials: { accessKeyId: 'ak', accessKeySecret: 'sk', securityToken: 'tok' } };
    const req = buildAliyunRequest({ endpoint: 'http://127.0.0.1:9999', signatureVersion: 'acs3' }, 'DescribeDomainSrcTrafficData', { DomainName: 'a.example.com', StartTime: '2026-11-20T09:00:00Z', EndTime: '2026-11-20T09:55:00Z', Interval: '300' }, ctx);
    const url = new URL(req.url);
    const query = Object.fromEntries(url.searchParams);
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k === 'host' || k.startsWith('x-acs-')));
    expect(headers.host).toBe('127.0.0.1:9999');
    expect(req.headers.authorization).toBe(OU.getAuthorization({ pathname: '/', method: req.method, query, headers }, 'ACS3-HMAC-SHA256', EMPTY_SHA256, 'ak', 'sk'));
    const rpc = buildAliyunRequest({ endpoint: 'http://127.0.0.1:9999', signatureVersion: 'rpc' }, 'DescribeDomainSrcTrafficData', { DomainName: 'a b*~.example.com' }, ctx);
    const q = Object.fromEntries(new URL(rpc.url).searchParams);
    const { Signature, ...rest } = q;
    expect(q.Format).toBe('JSON');
    expect(q.SecurityToken).toBe('tok');
    expect(Signature).toBe(OU.getRPCSignature(rest, 'GET', 'sk'));
  });
});
