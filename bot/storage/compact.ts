/**
 * Compact storage of the JSON the product writes once and reads back rarely: transcript batches
 * and the Direct Line activity log. Each value is raw DEFLATE (RFC 1951, node:zlib — any zlib can
 * read it) with a preset dictionary of the field names and fixed values those records repeat, so
 * even a record of a few hundred bytes shrinks to about a third. Nothing is dropped or renamed:
 * decoding gives back the same JSON value, so every field compliance reads, and the canonical form
 * the keyed hashes are computed over, are unchanged.
 *
 * Versioned: the first byte names the codec. A value starting with `{` or `[` is plain JSON (written
 * before this codec, or by hand in a test or a repair) and is read as such. The dictionary of a
 * version must never change once data is written with it — a new dictionary is a new version.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * Templates of a Direct Line activity and of transcript records, values blanked: the dictionary
 * DEFLATE may refer back into. Pinned by test/storage/compact.test.ts.
 */
const DICTIONARY_V1 = [
  {
    type: 'message',
    text: '',
    inputHint: 'acceptingInput',
    textFormat: 'plain',
    channelId: 'directline',
    locale: 'zh-CN',
    serviceUrl: 'urn:forbear:directline',
    conversation: { id: '', isGroup: false, conversationType: 'personal', name: '' },
    from: { id: 'forbear', name: 'Forbear', role: 'bot' },
    recipient: { id: 'dl_', name: '', role: 'user' },
    timestamp: '2026-',
    channelData: { accountRef: '' },
    suggestedActions: { actions: [{ type: 'imBack', title: '', value: '' }], to: [] },
    attachments: [],
    value: null,
    name: 'agreement',
    replyToId: '',
  },
  {
    conversationId: '',
    kind: 'decision',
    actor: 'bot',
    at: '2026-',
    payload: {
      type: 'understanding',
      engine: 'rules',
      promptVersion: null,
      intent: '',
      entities: {
        amountMinor: null,
        months: null,
        date: null,
        hardshipReason: null,
        incomeMinor: null,
        expensesMinor: null,
        concession: null,
        percentBps: null,
        deferralDays: null,
        optionIndex: null,
      },
      signals: [],
      confidence: 0.9,
      language: 'zh-CN',
      redactedText: '',
    },
    seq: 1,
    prevHash: '',
    hash: '',
  },
  ...(['cardholder', 'bot'] as const).map((actor) => ({
    conversationId: '',
    kind: 'activity',
    actor,
    at: '2026-',
    payload: { type: 'message', text: '', messageKey: null, language: null, attachments: [], suggestedActions: [], basedOn: [], channel: 'directline' },
    seq: 1,
    prevHash: '',
    hash: '',
  })),
]
  .map((template) => JSON.stringify(template))
  .join('\n');

const V1 = 1;
const dictionaries = new Map<number, Buffer>([[V1, Buffer.from(DICTIONARY_V1, 'utf8')]]);

/** The dictionary of a version, for the test that pins it. */
export const dictionaryOf = (version: number): Buffer | undefined => dictionaries.get(version);

/** The value's JSON, deflated against the current dictionary, behind its version byte. */
export function encodeCompact(value: unknown): Buffer {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('value has no JSON form');
  const deflated = deflateRawSync(Buffer.from(json, 'utf8'), { dictionary: dictionaries.get(V1)! });
  // Its own allocation, not a slice of Node's shared 8 KiB pool: a kept slice keeps the whole slab
  // alive, and measured that way a 140-byte value held 410 bytes.
  const stored = Buffer.allocUnsafeSlow(deflated.length + 1);
  stored[0] = V1;
  deflated.copy(stored, 1);
  return stored;
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;

/**
 * Reads a value `encodeCompact` wrote, or plain JSON; anything else throws (never a silent empty
 * value). Bytes, not a string: a compact value is not UTF-8, so Redis replies are read as Buffers.
 */
export function decodeCompact(data: Buffer): unknown {
  const first = data[0];
  if (first === OPEN_BRACE || first === OPEN_BRACKET) return JSON.parse(data.toString('utf8'));
  const dictionary = first === undefined ? undefined : dictionaries.get(first);
  if (!dictionary) throw new Error(`stored value has unknown codec version ${String(first)}`);
  return JSON.parse(inflateRawSync(data.subarray(1), { dictionary }).toString('utf8'));
}
