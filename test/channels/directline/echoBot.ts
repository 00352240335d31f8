/** A stand-in bot for channel tests: greets, echoes, offers a hero card with the three offer buttons. */
import { ActivityHandler, CardFactory, MessageFactory, type TurnContext } from 'botbuilder';

type Lang = 'zh-CN' | 'zh-TW' | 'en';
const langOf = (locale: string | undefined): Lang =>
  locale?.startsWith('zh') ? (/TW|HK|Hant/i.test(locale) ? 'zh-TW' : 'zh-CN') : 'en';

export const TEXTS = {
  'zh-CN': { hello: '您好，我是测试机器人。', said: '您说：', accept: '接受', other: '其他方案', human: '转人工', title: '还款方案', accepted: '已接受方案，参考编号 T-1' },
  'zh-TW': { hello: '您好，我是測試機器人。', said: '您說：', accept: '接受', other: '其他方案', human: '轉真人', title: '還款方案', accepted: '已接受方案，參考編號 T-1' },
  en: { hello: 'Hello, I am the test bot.', said: 'You said: ', accept: 'Accept', other: 'Other options', human: 'Talk to a person', title: 'Repayment plan', accepted: 'Plan accepted, reference T-1' },
} as const;

export class EchoBot extends ActivityHandler {
  constructor() {
    super();
    this.onMembersAdded(async (context, next) => {
      const texts = TEXTS[langOf(context.activity.locale)];
      for (const member of context.activity.membersAdded ?? []) {
        if (member.id !== context.activity.recipient.id) await context.sendActivity(texts.hello);
      }
      await next();
    });
    this.onMessage(async (context, next) => {
      await reply(context);
      await next();
    });
  }
}

async function reply(context: TurnContext): Promise<void> {
  const texts = TEXTS[langOf(context.activity.locale)];
  const text = context.activity.text ?? '';
  if (text === texts.accept) {
    await context.sendActivity(texts.accepted);
    return;
  }
  await context.sendActivity({ type: 'typing' });
  await context.sendActivity(`${texts.said}${text}`);
  const buttons = [texts.accept, texts.other, texts.human];
  const card = CardFactory.heroCard(texts.title, '¥1,234.56 × 12', undefined, CardFactory.actions(buttons.map((b) => ({ type: 'imBack', title: b, value: b }))));
  const offer = MessageFactory.attachment(card);
  offer.suggestedActions = { to: [], actions: buttons.map((b) => ({ type: 'imBack', title: b, value: b })) };
  await context.sendActivity(offer);
}
