import { describe, expect, it } from 'vitest';
import { ConversationId, GenerateDocumentationRequest, ProxyNotUsedErrorBody, RecordedDomainsResponse, SquidLogsQuery } from '../../server/contract/index.js';

describe('recordings contract', () => {
  it('documentation request defaults to markdown/clean and refuses other values', () => {
    expect(GenerateDocumentationRequest.parse({})).toEqual({ format: 'markdown', type: 'clean' });
    expect(GenerateDocumentationRequest.parse(undefined)).toEqual({ format: 'markdown', type: 'clean' });
    expect(GenerateDocumentationRequest.parse({ type: 'detailed' })).toEqual({ format: 'markdown', type: 'detailed' });
    expect(GenerateDocumentationRequest.safeParse({ format: 'html' }).success).toBe(false);
    expect(GenerateDocumentationRequest.safeParse({ type: 'raw' }).success).toBe(false);
  });

  it('squid lines: default 50, 1..500 in digits only', () => {
    expect(SquidLogsQuery.parse({})).toEqual({ lines: 50 });
    expect(SquidLogsQuery.parse({ lines: '1' })).toEqual({ lines: 1 });
    expect(SquidLogsQuery.parse({ lines: '500' })).toEqual({ lines: 500 });
    for (const bad of ['0', '501', '-1', '1.5', 'abc', '', ' 5', '1e2', '0x10', '99999', ['1', '2']]) {
      expect(SquidLogsQuery.safeParse({ lines: bad }).success, String(bad)).toBe(false);
    }
  });

  it('conversation identifiers: exact format only', () => {
    expect(ConversationId.safeParse('1733234567123-0a1b2c3d').success).toBe(true);
    for (const bad of ['../x', '1733234567123-0A1B2C3D', '1733234567123-0a1b2c3', '173323456712-0a1b2c3d', '1733234567123-0a1b2c3d/..', '1733234567123-0a1b2c3d\n']) {
      expect(ConversationId.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('recorded domains: categories optional, unknown category refused; 404 body shape', () => {
    const base = { success: true, projectId: 'abcdefabcdef', ipAddress: '', domains: {}, totalDomains: 0 };
    expect(RecordedDomainsResponse.safeParse({ ...base, categorized: {} }).success).toBe(true);
    expect(RecordedDomainsResponse.safeParse({ ...base, categorized: { Games: [] } }).success).toBe(false);
    const message = 'Workspace not found or not using proxy';
    expect(ProxyNotUsedErrorBody.safeParse({ success: false, error: message, code: 'PROJECT_NOT_FOUND', message }).success).toBe(true);
  });
});
