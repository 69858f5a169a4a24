import { printable, printableDeep } from '../../src/core/printable';

/** Text from AWS loses what would drive a terminal, and keeps its words. */
describe('printable', () => {
  it.each([
    ['an OSC title change ended by BEL', 'a\u001b]0;owned\u0007b', 'ab'],
    ['an OSC ended by ST', 'a\u001b]8;;http://x\u001b\\link\u001b]8;;\u001b\\b', 'alinkb'],
    ['CSI clear screen and colours', '\u001b[2J\u001b[1;31mred\u001b[0m', 'red'],
    ['8-bit CSI', 'x\u009b31my', 'xy'],
    ['a DCS string', 'a\u001bPq#0;2;0;0;0\u001b\\b', 'ab'],
    ['NUL, BEL, BS, CR, DEL', 'a\u0000\u0007\u0008\r\u007fb', 'ab'],
    ['bidi overrides and isolates', 'a\u202eb\u2066c\u2069', 'abc'],
    ['a lone ESC at the end', 'done\u001b', 'done'],
  ])('strips %s', (_what, input, expected) => {
    expect(printable(input)).toBe(expected);
  });

  it('turns newlines and tabs into spaces for one line, and keeps them for a block', () => {
    expect(printable('a\n\tb')).toBe('a b');
    expect(printable('a\n\tb\r', { multiline: true })).toBe('a\n\tb');
  });

  it('leaves ordinary text, Unicode included, as it is', () => {
    const text = 'Résumé — 日本語: "quoted" (x) [y] {z} 100%';
    expect(printable(text)).toBe(text);
  });

  it('cleans every string of a document, keys included', () => {
    expect(printableDeep({ 'k\u001b[1m': ['v\u0007', 3, null, { r: 'x\u0085y' }] })).toEqual({
      k: ['v', 3, null, { r: 'xy' }],
    });
  });
});
