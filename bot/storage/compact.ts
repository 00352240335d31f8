/**
 * Compact storage of the JSON the product writes once and reads back rarely: transcript batches
 * and the Direct Line activity log; and, as text, the JSON of versioned records (`storedText`). Each value is raw DEFLATE (RFC 1951, node:zlib — any zlib can
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

function jsonOf(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('value has no JSON form');
  return json;
}

/**
 * Version byte, then the JSON deflated against that version's dictionary, in a buffer from
 * `alloc` (each caller says whether the bytes are kept or copied out at once).
 */
function framed(json: string, alloc: (size: number) => Buffer): Buffer {
  const bytes = deflateRawSync(Buffer.from(json, 'utf8'), { dictionary: dictionaries.get(V1)! });
  const stored = alloc(bytes.length + 1);
  stored[0] = V1;
  bytes.copy(stored, 1);
  return stored;
}

/** The text a compact value (version byte, then DEFLATE) holds; undefined when its first byte names no codec version. */
function inflatedText(bytes: Buffer): string | undefined {
  const first = bytes[0];
  const dictionary = first === undefined ? undefined : dictionaries.get(first);
  return dictionary && inflateRawSync(bytes.subarray(1), { dictionary }).toString('utf8');
}

/** The value's JSON, deflated against the current dictionary, behind its version byte. */
export function encodeCompact(value: unknown): Buffer {
  // Its own allocation, not a slice of Node's shared 8 KiB pool: a kept slice keeps the whole slab
  // alive, and measured that way a 140-byte value held 410 bytes.
  return framed(jsonOf(value), Buffer.allocUnsafeSlow);
}

/**
 * The same bytes as `encodeCompact`, as a one-byte (latin1) string: one character per byte, so it
 * is the same value Redis holds. For values kept in process memory: a string lives in the JS heap,
 * where the collector compacts it, while every Buffer is a separate malloc'd backing store plus a
 * C++ record and two JS objects (≈ 300 bytes besides its bytes), scattered through the allocator's
 * arenas that zlib's ≈ 260 KiB of state per call churns — measured, that pattern made RSS grow
 * faster than the values themselves (README, "Memory round").
 */
export function encodeCompactText(value: unknown): string {
  return compactJsonText(jsonOf(value));
}

/** `encodeCompactText` of a value the caller already has as JSON text (not parsed again). */
export function compactJsonText(json: string): string {
  // A short-lived copy from Node's pool, so the string is one flat sequence (not a concatenation).
  return framed(json, Buffer.allocUnsafe).toString('latin1');
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;

/**
 * Reads a value `encodeCompact` or `encodeCompactText` wrote, or plain JSON; anything else throws
 * (never a silent empty value). Bytes or a latin1 string, not UTF-8 text: a compact value is not
 * UTF-8, so Redis replies are read as Buffers.
 */
export function decodeCompact(data: Buffer | string): unknown {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  const first = bytes[0];
  if (first === OPEN_BRACE || first === OPEN_BRACKET) return JSON.parse(bytes.toString('utf8'));
  const text = inflatedText(bytes);
  if (text === undefined) throw new Error(`stored value has unknown codec version ${String(first)}`);
  return JSON.parse(text);
}

/**
 * A versioned record's text (bot/storage/versionedRecord.ts: the conversation state, key-value
 * records such as the ledger) as Redis keeps it: its compact bytes — version byte, then DEFLATE
 * against the dictionary — when that is shorter, else the text itself. The same text comes back
 * from `textOfStored`, so whatever reads it (compare-and-set, zod, JSON.parse) is unchanged.
 */
export function storedText(text: string): Buffer | string {
  const stored = framed(text, Buffer.allocUnsafe);
  return stored.length >= Buffer.byteLength(text, 'utf8') ? text : stored;
}

/**
 * The text `storedText` kept, or text stored as is (before this codec, or too short to shrink): a
 * first byte naming a codec version is never the first byte of JSON text.
 */
export function textOfStored(stored: Buffer | string): string {
  if (typeof stored === 'string') return stored;
  return inflatedText(stored) ?? stored.toString('utf8');
}
