import { describe, it, expect } from 'vitest';
import { ParseError, parseCelebaAttributes, parseCelebaPartition } from '@dbvae/core-data';

const header = '5_o_Clock_Shadow Arched_Eyebrows Male Young';

describe('parseCelebaAttributes', () => {
  it('parses count, header and rows with irregular spacing', () => {
    const text = `3\n${header}\n000001.jpg -1  1 -1  1\n000002.jpg  1 -1  1 -1\r\n000003.jpg -1 -1  1  1\n\n`;
    const a = parseCelebaAttributes(text);
    expect(a.names).toEqual(['5_o_Clock_Shadow', 'Arched_Eyebrows', 'Male', 'Young']);
    expect(a.files).toEqual(['000001.jpg', '000002.jpg', '000003.jpg']);
    expect(Array.from(a.values)).toEqual([-1, 1, -1, 1, 1, -1, 1, -1, -1, -1, 1, 1]);
    expect(a.get(1, 'Male')).toBe(1);
    expect(Array.from(a.column('Young'))).toEqual([1, -1, 1]);
    expect(() => a.column('Smiling')).toThrow(/no attribute 'Smiling'/);
  });

  it('reports malformed files with the line number', () => {
    const err = (text: string): ParseError => {
      try {
        parseCelebaAttributes(text);
      } catch (e) {
        return e as ParseError;
      }
      throw new Error('expected a ParseError');
    };
    expect(err(`x\n${header}\n`).line).toBe(1);
    const few = err(`1\n${header}\n000001.jpg 1 1 1\n`);
    expect(few).toBeInstanceOf(ParseError);
    expect(few.line).toBe(3);
    expect(few.message).toMatch(/expected a file name and 4 values, got 4 fields/);
    const badValue = err(`2\n${header}\n000001.jpg 1 1 1 1\n000002.jpg 1 0 1 1\n`);
    expect(badValue.line).toBe(4);
    expect(badValue.message).toMatch(/value '0' for Arched_Eyebrows/);
    expect(err(`5\n${header}\n000001.jpg 1 1 1 1\n`).message).toMatch(/says 5 images but the file has 1 rows/);
    expect(err('').code).toBe('E_PARSE');
  });
});

describe('parseCelebaPartition', () => {
  it('parses file and split, and rejects bad lines', () => {
    const p = parseCelebaPartition('000001.jpg 0\n000002.jpg 2\n000003.jpg 1\n');
    expect(p.files).toEqual(['000001.jpg', '000002.jpg', '000003.jpg']);
    expect(Array.from(p.split)).toEqual([0, 2, 1]);
    expect(() => parseCelebaPartition('000001.jpg 0\n000002.jpg 3\n')).toThrow(/line 2: split '3'/);
    expect(() => parseCelebaPartition('000001.jpg\n')).toThrow(ParseError);
  });
});
