import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';
import {
  cdata,
  InboundMessage,
  MAX_XML_BYTES,
  parseWeChatXml,
  textReplyXml,
  XmlRejectedError,
} from '../../../bot/channels/wechat/xml.js';

const reason = (xml: string) => {
  try {
    parseWeChatXml(xml, InboundMessage);
  } catch (error) {
    if (error instanceof XmlRejectedError) return error.reason;
    throw error;
  }
  return 'accepted';
};

const text = (content: string, msgId = '6054768590064713728') =>
  `<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName><CreateTime>1409735668</CreateTime>` +
  `<MsgType><![CDATA[text]]></MsgType><Content>${cdata(content)}</Content><MsgId>${msgId}</MsgId></xml>`;

describe('parseWeChatXml', () => {
  it('reads a text message and keeps the 64-bit MsgId exact', () => {
    expect(parseWeChatXml(text('你好'), InboundMessage)).toEqual({
      ToUserName: 'gh_1',
      FromUserName: 'oUser',
      CreateTime: 1409735668,
      MsgType: 'text',
      Content: '你好',
      MsgId: '6054768590064713728',
    });
  });

  it('keeps a follower\'s text that looks like markup or a DOCTYPE, since it sits inside CDATA', () => {
    const parsed = parseWeChatXml(text('<!DOCTYPE x> &amp; ]]> <b>'), InboundMessage);
    expect(parsed.MsgType === 'text' && parsed.Content).toBe('<!DOCTYPE x> &amp; ]]> <b>');
  });

  it('refuses DOCTYPE and ENTITY declarations outside CDATA', () => {
    expect(reason(`<!DOCTYPE xml [<!ENTITY a "b">]>${text('x')}`)).toBe('doctype');
    expect(reason(`<?xml version="1.0"?>\n<!doctype xml SYSTEM "http://example.com/x.dtd">${text('x')}`)).toBe('doctype');
  });

  it('refuses oversize input before parsing it', () => {
    expect(reason(text('a'.repeat(MAX_XML_BYTES)))).toBe('too_large');
  });

  it('refuses malformed XML and shapes that are not a WeChat message', () => {
    expect(reason('garbage')).toBe('malformed');
    expect(reason('<xml><a></xml>')).toBe('malformed');
    expect(reason('<notxml/>')).toBe('malformed');
    expect(reason(text('x', '12ab'))).toBe('schema');
    expect(reason(text('x').replace('<Content>', '<Content>a</Content><Content>'))).toBe('schema');
    expect(reason(text('x').replace('text', 'teleport'))).toBe('schema');
  });

  it('never throws anything but XmlRejectedError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (input) => {
        expect(['accepted', 'doctype', 'malformed', 'schema', 'too_large']).toContain(reason(input));
      }),
    );
  });
});

describe('reply XML', () => {
  const parser = new XMLParser({ parseTagValue: false, trimValues: false });

  it('round-trips any text through CDATA, "]]>" included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (content) => {
        const xml = textReplyXml({ toUser: 'oUser', fromUser: 'gh_1', createTime: 1, content: `${content}]]>${content}` });
        const expected = `${content}]]>${content}`.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '');
        expect(parser.parse(xml).xml.Content).toBe(expected);
      }),
    );
  });

  it('drops characters XML 1.0 cannot carry', () => {
    expect(cdata('a\u0000b\u0007c')).toBe('<![CDATA[abc]]>');
  });
});
