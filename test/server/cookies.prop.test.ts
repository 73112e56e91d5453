import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseCookieString, serializeSetCookie } from '../../src/server/cookies.js';

const TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const name = fc.string({
  unit: fc.integer({ min: 0, max: TCHAR.length - 1 }).map((i) => TCHAR.charAt(i)),
  minLength: 1,
  maxLength: 12,
});
const anyChar = fc.integer({ min: 0, max: 0x17f }).map((c) => String.fromCharCode(c));
const anyString = fc.string({ unit: anyChar, maxLength: 24 });

test('property: whatever the value, setCookie accepts it exactly when its cookie-octets (or quoted ones) are', () => {
  fc.assert(
    fc.property(name, anyString, (n, v) => {
      const bare = v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
      // RFC 6265bis §4.1.1 cookie-octet, as an independent oracle.
      const isValid = !/[^\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]/.test(bare);
      let line: string | undefined;
      try {
        line = serializeSetCookie(n, v);
      } catch (e) {
        assert.equal((e as { code?: string }).code, 'ERR_INVALID_COOKIE_VALUE');
      }
      assert.equal(line !== undefined, isValid, JSON.stringify(v));
      if (line === undefined) return;
      // What was accepted parses back to the value (without its optional DQUOTEs).
      const parsed = new Map<string, string>();
      parseCookieString(line, parsed);
      assert.equal(parsed.get(n), bare);
    }),
  );
});

test('property: encodeURIComponent output is always an acceptable value and round trips', () => {
  fc.assert(
    fc.property(name, fc.string({ maxLength: 40 }), (n, raw) => {
      let encoded: string;
      try {
        encoded = encodeURIComponent(raw);
      } catch {
        return; // a lone surrogate cannot be encoded
      }
      const parsed = new Map<string, string>();
      parseCookieString(serializeSetCookie(n, encoded, { path: '/' }), parsed);
      assert.equal(decodeURIComponent(parsed.get(n) ?? ''), raw);
    }),
  );
});

test('property: parsing never throws and never yields a name with ";", "=" or edge whitespace', () => {
  fc.assert(
    fc.property(fc.array(anyString, { maxLength: 4 }), (fields) => {
      const out = new Map<string, string>();
      for (const f of fields) parseCookieString(f, out);
      for (const [k, v] of out) {
        assert.ok(k.length > 0 && !k.includes(';') && !k.includes('='));
        assert.ok(!/^[ \t]|[ \t]$/.test(k) && !/^[ \t]|[ \t]$/.test(v));
        assert.ok(!v.includes(';'));
      }
    }),
  );
});
