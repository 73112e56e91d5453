import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatQif, parseQif } from '../../src/qpack/qif.js';

test('parseQif: sets end at blank lines, comments skipped, split at the first TAB', () => {
  const text = '# stream 4\n:path\t/index.html\n\n# stream 8\nx\ta\tb\nempty\t\n\n\nlast\tv';
  assert.deepEqual(parseQif(text), [
    [[':path', '/index.html']],
    [
      ['x', 'a\tb'],
      ['empty', ''],
    ],
    [['last', 'v']],
  ]);
});

test('parseQif accepts CRLF and a line without TAB', () => {
  assert.deepEqual(parseQif('a\t1\r\nb\r\n\r\n'), [
    [
      ['a', '1'],
      ['b', ''],
    ],
  ]);
});

test('formatQif writes one blank line after each set and round-trips', () => {
  const sets: Array<Array<[string, string]>> = [
    [
      ['a', '1'],
      ['b', ''],
    ],
    [['c', '\u00ff']],
  ];
  const text = formatQif(sets);
  assert.equal(text, 'a\t1\nb\t\n\nc\t\u00ff\n\n');
  assert.deepEqual(parseQif(text), sets);
  assert.equal(formatQif([]), '');
});
