import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../bot/config.js';
import { loadWeChatConfig } from '../../../bot/channels/wechat/config.js';

const base = {
  WECHAT_TOKEN: 'forbeartoken',
  WECHAT_APPID: 'wx0123456789abcdef',
  WECHAT_APPSECRET: 'secret',
};

describe('loadWeChatConfig', () => {
  it('is off without WECHAT_TOKEN', () => {
    expect(loadWeChatConfig({})).toBeUndefined();
    expect(loadWeChatConfig({ WECHAT_TOKEN: '  ', WECHAT_APPID: 'nonsense' })).toBeUndefined();
  });

  it('fills defaults and leaves safe mode off without an EncodingAESKey', () => {
    expect(loadWeChatConfig(base)).toEqual({
      ...base,
      WECHAT_ENCODING_AES_KEY: undefined,
      WECHAT_API_BASE: 'https://api.weixin.qq.com',
      WECHAT_PASSIVE_REPLY_MS: 4000,
      WECHAT_API_TIMEOUT_MS: 5000,
      WECHAT_TIMESTAMP_WINDOW_SEC: 60,
      WECHAT_LOCALE: 'zh-CN',
    });
  });

  it('accepts a 43-character EncodingAESKey and refuses anything else, naming the variable', () => {
    const key = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
    expect(loadWeChatConfig({ ...base, WECHAT_ENCODING_AES_KEY: key })?.WECHAT_ENCODING_AES_KEY).toBe(key);
    for (const bad of [`${key}=`, key.slice(1), `${key.slice(1)}!`]) {
      expect(() => loadWeChatConfig({ ...base, WECHAT_ENCODING_AES_KEY: bad })).toThrow(/WECHAT_ENCODING_AES_KEY/);
    }
  });

  it('refuses a missing appid or secret, a bad token and an out-of-range window once enabled', () => {
    expect(() => loadWeChatConfig({ WECHAT_TOKEN: 'forbeartoken' })).toThrow(ConfigError);
    expect(() => loadWeChatConfig({ ...base, WECHAT_TOKEN: 'has space' })).toThrow(/WECHAT_TOKEN/);
    expect(() => loadWeChatConfig({ ...base, WECHAT_PASSIVE_REPLY_MS: '6000' })).toThrow(/WECHAT_PASSIVE_REPLY_MS/);
    expect(() => loadWeChatConfig({ ...base, WECHAT_API_BASE: 'not a url' })).toThrow(/WECHAT_API_BASE/);
    expect(() => loadWeChatConfig({ ...base, WECHAT_TIMESTAMP_WINDOW_SEC: '3600' })).toThrow(/WECHAT_TIMESTAMP_WINDOW_SEC/);
  });
});
