// The one parsing path of attribute and URL values (src/elements/base/attributes.ts): numbers are
// parsed, then clamped or dropped; lists are taken whole or not at all; words come from a fixed set.
import { describe, expect, it } from 'vitest';
import { choiceAttr, clamp, numberAttr, numberListAttr, parseNumber, parseNumberList } from '../../dist/elements/base/attributes.js';
import { STATE } from '../../dist/page/state.js';

describe('attribute parsing', () => {
  it('reads finite numbers and nothing else', () => {
    expect(parseNumber('2.5')).toBe(2.5);
    expect(parseNumber(' -1e3 ')).toBe(-1000);
    for (const bad of [null, '', '   ', 'abc', 'NaN', 'Infinity', '-Infinity', '1,2', '0x', '<b>1</b>']) expect(parseNumber(bad)).toBeNull();
  });

  it('clamps numbers into their range and falls back on anything else', () => {
    expect(clamp(5, 0, 1)).toBe(1);
    expect(numberAttr('7', 3, 0, 5)).toBe(5);
    expect(numberAttr('-7', 3, 0, 5)).toBe(0);
    expect(numberAttr('4', 3, 0, 5)).toBe(4);
    expect(numberAttr('x', 3, 0, 5)).toBe(3);
    expect(numberAttr(null, 3, 0, 5)).toBe(3);
  });

  it('takes a list whole or not at all: a blank entry, a non-number, too many or too large values reject it', () => {
    expect(parseNumberList('1, 2,3')).toEqual([1, 2, 3]);
    expect(parseNumberList('1,,2')).toBeNull();
    expect(parseNumberList('1,2,')).toBeNull();
    expect(parseNumberList('1,x')).toBeNull();
    expect(parseNumberList('1,2,3', 2)).toBeNull();
    expect(parseNumberList('1,2e7')).toBeNull();
    expect(numberListAttr('1,,2', [9, 8])).toEqual([9, 8]);
    expect(numberListAttr('4,5', [9, 8])).toEqual([4, 5]);
  });

  it('accepts only the listed words', () => {
    expect(choiceAttr('b', ['a', 'b'] as const, 'a')).toBe('b');
    expect(choiceAttr('B', ['a', 'b'] as const, 'a')).toBe('a');
    expect(choiceAttr(null, ['a', 'b'] as const, 'a')).toBe('a');
  });

  it('the page URL state parses through the same path, with a length cap first', () => {
    const field = (key: string) => STATE.find((f) => f.key === key)!;
    expect(field('gamma').parse('9')).toBe('3');
    expect(field('gamma').parse('1.2345')).toBe('1.23');
    expect(field('gamma').parse('1'.repeat(25))).toBeNull();
    expect(field('values').parse('1,2,3')).toBe('1,2,3');
    expect(field('values').parse('1,,3')).toBeNull();
  });
});
