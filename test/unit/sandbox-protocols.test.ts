/**
 * Generic decoding of the query/ec2 wire formats and the XML the sandbox writes and reads:
 * operations receive arrays and maps, never `Tags.member.1.Key` strings.
 */
import { nestForm, parseForm } from '../../src/sandbox/protocols/form';
import { bucketFromHost, decodeAwsChunked, s3OperationOf } from '../../src/sandbox/protocols/rest-xml';
import { childText, parseXml, toXml, xmlMap } from '../../src/sandbox/protocols/xml';
import { parseQueryString } from '../../src/sandbox/server';
import type { SandboxRequest } from '../../src/sandbox/types';

test.each([
  [
    'query lists of structures',
    'Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.2.Key=b&Tags.member.2.Value=2',
    {
      Tags: [
        { Key: 'a', Value: '1' },
        { Key: 'b', Value: '2' },
      ],
    },
  ],
  [
    'query lists of strings, in index order',
    'Capabilities.member.2=CAPABILITY_IAM&Capabilities.member.1=CAPABILITY_NAMED_IAM',
    { Capabilities: ['CAPABILITY_NAMED_IAM', 'CAPABILITY_IAM'] },
  ],
  [
    'ec2 lists without member',
    'RegionName.1=us-east-1&RegionName.2=eu-west-1&Filter.1.Name=opt-in-status&Filter.1.Value.1=opted-in',
    { RegionName: ['us-east-1', 'eu-west-1'], Filter: [{ Name: 'opt-in-status', Value: ['opted-in'] }] },
  ],
  [
    'query maps',
    'Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=Rollouts',
    { Attributes: { DisplayName: 'Rollouts' } },
  ],
  [
    'encoded values',
    'Message=%7B%22a%22%3A1%7D&Subject=two+words',
    { Message: '{"a":1}', Subject: 'two words' },
  ],
])('nestForm: %s', (_name, body, expected) => {
  expect(nestForm(parseForm(body))).toEqual(expected);
});

test('toXml writes lists as member/item elements, dates as ISO, maps as entries, and escapes text', () => {
  expect(toXml({ Stacks: [{ StackName: 'a<b', Created: new Date(0) }], Skip: undefined }, 'member')).toBe(
    '<Stacks><member><StackName>a&lt;b</StackName><Created>1970-01-01T00:00:00.000Z</Created></member></Stacks>',
  );
  expect(toXml({ regionInfo: [{ regionName: 'x' }] }, 'item')).toBe(
    '<regionInfo><item><regionName>x</regionName></item></regionInfo>',
  );
  expect(toXml({ Attributes: xmlMap({ A: '1' }) }, 'member')).toBe(
    '<Attributes><entry><key>A</key><value>1</value></entry></Attributes>',
  );
});

test('parseXml reads request bodies and refuses broken ones', () => {
  const doc = parseXml(
    '<?xml version="1.0"?><VersioningConfiguration xmlns="http://s3"><Status>Enabled</Status></VersioningConfiguration>',
  );
  expect(childText(doc, 'Status')).toBe('Enabled');
  expect(() => parseXml('<a><b></a>')).toThrow(/does not match/);
  expect(() => parseXml('<a>')).toThrow(/not closed/);
});

test('S3 buckets come from virtual-hosted hosts; operations from method and sub-resources', () => {
  expect(bucketFromHost('my.bucket.s3.eu-west-1.amazonaws.com')).toBe('my.bucket');
  expect(bucketFromHost('bkt.s3.amazonaws.com')).toBe('bkt');
  expect(bucketFromHost('bkt.localhost:4566')).toBe('bkt');
  expect(bucketFromHost('s3.eu-west-1.amazonaws.com')).toBeUndefined();
  expect(bucketFromHost('127.0.0.1')).toBeUndefined();
  const req = (
    method: string,
    query: SandboxRequest['query'] = {},
    headers: Record<string, string> = {},
  ): SandboxRequest => ({
    method,
    hostname: 'h',
    path: '/',
    query,
    headers,
    body: Buffer.alloc(0),
  });
  expect(s3OperationOf(req('PUT', { versioning: '' }), 'b', undefined)).toBe('PutBucketVersioning');
  expect(s3OperationOf(req('GET', { 'list-type': '2' }), 'b', undefined)).toBe('ListObjectsV2');
  expect(s3OperationOf(req('PUT'), 'b', undefined)).toBe('CreateBucket');
  expect(s3OperationOf(req('GET', { versionId: 'v' }), 'b', 'k')).toBe('GetObject');
  expect(s3OperationOf(req('PUT', {}, { 'x-amz-copy-source': '/a/b' }), 'b', 'k')).toBe('CopyObject');
  expect(s3OperationOf(req('GET', { 'x-id': 'GetObject' }), 'b', 'k')).toBe('GetObject');
  expect(s3OperationOf(req('GET'), undefined, undefined)).toBe('ListBuckets');
});

test('aws-chunked bodies are decoded', () => {
  const body = Buffer.from(
    '5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n',
  );
  expect(decodeAwsChunked(body).toString()).toBe('hello world');
});

test('HTTP query strings keep the difference between `a` and `a=` that SigV4 depends on', () => {
  expect(parseQueryString('versioning&x-id=GetObject&v=a%2Bb&t=1&t=2&e=')).toEqual({
    versioning: null,
    'x-id': 'GetObject',
    v: 'a+b',
    t: ['1', '2'],
    e: '',
  });
});
