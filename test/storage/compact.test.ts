import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compactJsonText, decodeCompact, dictionaryOf, encodeCompact, encodeCompactText } from '../../bot/storage/compact.js';

const activity = {
  type: 'message',
  text: '为保护您的隐私，需要先核实您的身份。请输入您信用卡卡号的后4位。',
  inputHint: 'acceptingInput',
  textFormat: 'plain',
  channelId: 'directline',
  locale: 'zh-CN',
  serviceUrl: 'urn:forbear:directline',
  conversation: { id: 'LqcxmDj78OqDTZN-MW-qrw', isGroup: false, conversationType: 'personal', name: '' },
  from: { id: 'forbear', name: 'Forbear', role: 'bot' },
  recipient: { id: 'dl_LqcxmDj78OqDTZN-MW-qrw', name: '', role: 'user' },
  timestamp: '2026-11-30T10:58:49.532Z',
};

describe('compact storage codec', () => {
  it('gives back exactly the JSON value it was given, in a fraction of the bytes', () => {
    const values = [activity, [activity, { ...activity, text: 'two' }], { nested: { n: 1.5, none: null, list: [true, 'ü'] } }];
    for (const value of values) {
      const stored = encodeCompact(value);
      expect(decodeCompact(stored)).toEqual(JSON.parse(JSON.stringify(value)));
    }
    expect(encodeCompact(activity).length).toBeLessThan(Buffer.byteLength(JSON.stringify(activity)) / 2);
  });

  it('gives the same value as latin1 text, one character per stored byte, for values kept in process memory', () => {
    const text = encodeCompactText(activity);
    expect(Buffer.from(text, 'latin1')).toEqual(encodeCompact(activity));
    expect(decodeCompact(text)).toEqual(activity);
    expect(compactJsonText(`[${JSON.stringify(activity)},{"n":1}]`)).toBe(encodeCompactText([activity, { n: 1 }]));
  });

  it('reads plain JSON written before the codec (an object or an array)', () => {
    expect(decodeCompact(Buffer.from(JSON.stringify(activity)))).toEqual(activity);
    expect(decodeCompact(Buffer.from('[{"seq":1}]'))).toEqual([{ seq: 1 }]);
  });

  it('refuses an unknown version or a damaged value instead of reading something else', () => {
    const stored = encodeCompact(activity);
    expect(() => decodeCompact(Buffer.concat([Buffer.of(9), stored.subarray(1)]))).toThrow(/unknown codec version 9/);
    expect(() => decodeCompact(Buffer.alloc(0))).toThrow(/unknown codec version/);
    expect(() => decodeCompact(stored.subarray(0, stored.length - 6))).toThrow();
  });

  it('keeps the dictionary of version 1 as it was: stored values depend on it', () => {
    expect(createHash('sha256').update(dictionaryOf(1)!).digest('hex')).toBe('b031864c803f0d2ac16ef1a59e95bba83aa4d93a4dd9e0e94de12621c6a2d654');
  });
});
