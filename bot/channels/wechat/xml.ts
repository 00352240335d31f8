/**
 * Inbound WeChat XML → validated message objects, and the passive-reply XML back. Parsing is
 * defensive: size checked before parsing, DOCTYPE/ENTITY declarations refused (no entity
 * expansion at all), then the shape validated with zod so nothing downstream sees raw XML.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { z } from 'zod';

/** WeChat messages are a few hundred bytes; 64 KiB leaves room for the safe-mode envelope. */
export const MAX_XML_BYTES = 64 * 1024;

export type XmlRejection = 'too_large' | 'doctype' | 'malformed' | 'schema';

export class XmlRejectedError extends Error {
  constructor(readonly reason: XmlRejection) {
    super(`WeChat XML rejected: ${reason}`);
    this.name = 'XmlRejectedError';
  }
}

const parser = new XMLParser({
  processEntities: false,
  htmlEntities: false,
  // MsgId is a 64-bit integer: parsing it as a number would round it and break de-duplication.
  parseTagValue: false,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

const CDATA_SECTION = /<!\[CDATA\[[\s\S]*?\]\]>/g;
/** Declarations outside CDATA; inside CDATA the same characters are just a follower's text. */
const DECLARATION = /<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i;

/** WeChat's messages nest two levels; the parser and validator recurse, so depth is bounded before they run. */
const MAX_XML_DEPTH = 8;
const TAG = /<(\/?)[A-Za-z_][^<>]*?(\/?)>/g;

function xmlDepth(xml: string): number {
  let depth = 0;
  let deepest = 0;
  for (const m of xml.matchAll(TAG)) {
    if (m[1]) depth--;
    else if (!m[2]) deepest = Math.max(deepest, ++depth);
  }
  return deepest;
}

/** Parses `<xml>…</xml>` and validates the children with `schema`. */
export function parseWeChatXml<T extends z.ZodType>(xml: string, schema: T): z.infer<T> {
  if (Buffer.byteLength(xml, 'utf8') > MAX_XML_BYTES) throw new XmlRejectedError('too_large');
  const outsideCdata = xml.replace(CDATA_SECTION, '');
  if (DECLARATION.test(outsideCdata)) throw new XmlRejectedError('doctype');
  if (xmlDepth(outsideCdata) > MAX_XML_DEPTH) throw new XmlRejectedError('malformed');
  if (XMLValidator.validate(xml) !== true) throw new XmlRejectedError('malformed');
  const root = z.object({ xml: z.record(z.string(), z.unknown()) }).safeParse(parser.parse(xml));
  if (!root.success) throw new XmlRejectedError('malformed');
  const message = schema.safeParse(root.data.xml);
  if (!message.success) throw new XmlRejectedError('schema');
  return message.data;
}

const OpenId = z.string().min(1).max(128);
/** Decimal 64-bit id, kept as a string. */
const MsgId = z.string().regex(/^\d{1,20}$/);
const Common = {
  ToUserName: z.string().min(1).max(128),
  FromUserName: OpenId,
  CreateTime: z.string().regex(/^\d{1,12}$/).transform(Number),
};

export const TextMessage = z.object({ ...Common, MsgType: z.literal('text'), Content: z.string().max(8192), MsgId });
export const EventMessage = z.object({
  ...Common,
  MsgType: z.literal('event'),
  Event: z.string().min(1).max(64),
  EventKey: z.string().max(1024).optional(),
});
/** Media and other kinds we do not understand yet; they get a polite "text only" answer. */
export const OtherMessage = z.object({
  ...Common,
  MsgType: z.enum(['image', 'voice', 'video', 'shortvideo', 'location', 'link', 'file', 'music', 'news', 'miniprogrampage']),
  MsgId: MsgId.optional(),
});
export const InboundMessage = z.discriminatedUnion('MsgType', [TextMessage, EventMessage, OtherMessage]);
export type InboundMessage = z.infer<typeof InboundMessage>;
export type TextMessage = z.infer<typeof TextMessage>;
export type EventMessage = z.infer<typeof EventMessage>;

/** Safe mode body: only the ciphertext (ToUserName is there too but carries nothing we trust). */
export const EncryptedEnvelope = z.object({
  ToUserName: z.string().max(128).optional(),
  Encrypt: z.string().min(1).max(MAX_XML_BYTES),
});
export type EncryptedEnvelope = z.infer<typeof EncryptedEnvelope>;

/** Characters XML 1.0 forbids; a bot string containing one would make WeChat drop the reply. */
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** CDATA cannot contain "]]>", so the text is split into adjacent sections around it. */
export function cdata(text: string): string {
  return `<![CDATA[${text.replace(XML_FORBIDDEN, '').replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

export interface TextReply {
  toUser: string;
  fromUser: string;
  createTime: number;
  content: string;
}

export function textReplyXml(reply: TextReply): string {
  return (
    `<xml><ToUserName>${cdata(reply.toUser)}</ToUserName><FromUserName>${cdata(reply.fromUser)}</FromUserName>` +
    `<CreateTime>${Math.trunc(reply.createTime)}</CreateTime><MsgType><![CDATA[text]]></MsgType>` +
    `<Content>${cdata(reply.content)}</Content></xml>`
  );
}

export interface EncryptedReply {
  encrypt: string;
  signature: string;
  timestamp: string;
  nonce: string;
}

export function encryptedReplyXml(reply: EncryptedReply): string {
  return (
    `<xml><Encrypt>${cdata(reply.encrypt)}</Encrypt><MsgSignature>${cdata(reply.signature)}</MsgSignature>` +
    `<TimeStamp>${cdata(reply.timestamp)}</TimeStamp><Nonce>${cdata(reply.nonce)}</Nonce></xml>`
  );
}
