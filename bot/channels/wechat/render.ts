/**
 * Bot Framework activities → WeChat plain text. WeChat text has no buttons or cards, so cards
 * become lines of text and every clickable thing (suggested actions, card buttons) becomes a
 * numbered choice the follower answers with a digit.
 */
import type { Activity } from 'botbuilder';
import { z } from 'zod';
import { t } from '../../../conversation/messages/index.js';
import type { Language } from '../../../conversation/language.js';

/** A numbered option; `value` is what the bot receives when the follower answers its number. */
export const Choice = z.object({ title: z.string(), value: z.unknown() });
export type Choice = z.infer<typeof Choice>;
export const Choices = z.array(Choice);

export interface RenderedMessage {
  text: string;
  choices: Choice[];
}

/** Bot Framework locales → catalog languages; Traditional-script regions read zh-TW. */
export function languageOf(locale: string | undefined, fallback: Language): Language {
  const l = (locale ?? '').toLowerCase();
  if (/^zh-(tw|hk|mo|hant)/.test(l)) return 'zh-TW';
  if (l.startsWith('zh')) return 'zh-CN';
  if (l.startsWith('en')) return 'en';
  return fallback;
}

const CardAction = z.object({ type: z.string(), title: z.string().min(1), value: z.unknown().optional() });
const HeroCard = z.object({
  title: z.string().optional(),
  subtitle: z.string().optional(),
  text: z.string().optional(),
  buttons: z.array(z.unknown()).optional(),
});
const TextBlock = z.object({ type: z.literal('TextBlock'), text: z.string() });
const RichTextBlock = z.object({ type: z.literal('RichTextBlock'), inlines: z.array(z.union([z.string(), z.object({ text: z.string() })])) });
const FactSet = z.object({ type: z.literal('FactSet'), facts: z.array(z.object({ title: z.string(), value: z.string() })) });
const ColumnSet = z.object({ type: z.literal('ColumnSet'), columns: z.array(z.object({ items: z.array(z.unknown()).optional() })) });
const Container = z.object({ items: z.array(z.unknown()) });
const AdaptiveCard = z.object({ body: z.array(z.unknown()).optional(), actions: z.array(z.unknown()).optional() });
const SubmitAction = z.object({ type: z.literal('Action.Submit'), title: z.string().min(1), data: z.unknown().optional() });
const OpenUrlAction = z.object({ type: z.literal('Action.OpenUrl'), title: z.string().min(1), url: z.string() });
/** What a card keeps folded (e.g. the rest of a payment schedule): text has no folding, so it is printed. */
const ShowCardAction = z.object({ type: z.literal('Action.ShowCard'), card: AdaptiveCard });

const CLICKABLE = new Set(['imBack', 'postBack', 'messageBack']);

function cardActionChoice(raw: unknown, lines: string[]): Choice | undefined {
  const action = CardAction.safeParse(raw);
  if (!action.success) return undefined;
  const { type, title, value } = action.data;
  if (CLICKABLE.has(type)) return { title, value: value ?? title };
  if (type === 'openUrl' && typeof value === 'string') lines.push(`${title} ${value}`);
  return undefined;
}

/** Text of adaptive card elements, one line per block; a column set reads as one row. */
function adaptiveLines(elements: readonly unknown[], lang: Language): string[] {
  const separator = lang === 'en' ? ': ' : '：';
  return elements.flatMap((element): string[] => {
    const text = TextBlock.safeParse(element);
    if (text.success) return [text.data.text];
    const rich = RichTextBlock.safeParse(element);
    if (rich.success) return [rich.data.inlines.map((i) => (typeof i === 'string' ? i : i.text)).join('')];
    const facts = FactSet.safeParse(element);
    if (facts.success) return facts.data.facts.map((f) => `${f.title}${separator}${f.value}`);
    const columns = ColumnSet.safeParse(element);
    if (columns.success) return [columns.data.columns.map((c) => adaptiveLines(c.items ?? [], lang).join(' ')).join('  ')];
    const container = Container.safeParse(element);
    return container.success ? adaptiveLines(container.data.items, lang) : [];
  });
}

function renderAttachment(contentType: string, content: unknown, lang: Language, choices: Choice[]): string[] {
  const lines: string[] = [];
  if (contentType === 'application/vnd.microsoft.card.hero' || contentType === 'application/vnd.microsoft.card.thumbnail') {
    const card = HeroCard.safeParse(content);
    if (!card.success) return [];
    for (const line of [card.data.title, card.data.subtitle, card.data.text]) if (line) lines.push(line);
    for (const button of card.data.buttons ?? []) {
      const choice = cardActionChoice(button, lines);
      if (choice) choices.push(choice);
    }
  } else if (contentType === 'application/vnd.microsoft.card.adaptive') {
    const card = AdaptiveCard.safeParse(content);
    if (!card.success) return [];
    lines.push(...adaptiveLines(card.data.body ?? [], lang));
    for (const raw of card.data.actions ?? []) {
      const submit = SubmitAction.safeParse(raw);
      if (submit.success) choices.push({ title: submit.data.title, value: submit.data.data ?? submit.data.title });
      const open = OpenUrlAction.safeParse(raw);
      if (open.success) lines.push(`${open.data.title} ${open.data.url}`);
      const folded = ShowCardAction.safeParse(raw);
      if (folded.success) lines.push(...adaptiveLines(folded.data.card.body ?? [], lang));
    }
  }
  return lines;
}

/** `undefined` for activities a follower never sees (typing, traces, events). */
export function renderActivity(activity: Partial<Activity>, fallback: Language): RenderedMessage | undefined {
  if (activity.type !== 'message') return undefined;
  const lang = languageOf(activity.locale, fallback);
  const choices: Choice[] = [];
  const blocks: string[] = [];
  // A person's words are labelled with their name: the follower must never take them for the bot's.
  // A notice ("客服 {name} 已加入对话") already names the person; a label would say the name twice.
  const { agent: person, notice } = (activity.channelData ?? {}) as { agent?: unknown; notice?: unknown };
  const label = typeof person === 'string' && notice !== true ? t(lang, 'wechat.person_label', { name: person }) : '';
  if (activity.text?.trim() || label) blocks.push(`${label}${activity.text?.trim() ?? ''}`);
  for (const attachment of activity.attachments ?? []) {
    const lines = renderAttachment(attachment.contentType, attachment.content, lang, choices);
    if (lines.length > 0) blocks.push(lines.join('\n'));
  }
  for (const action of activity.suggestedActions?.actions ?? []) {
    const choice = cardActionChoice(action, []);
    if (choice) choices.push(choice);
  }
  if (choices.length > 0) blocks.push(choices.map((c, i) => t(lang, 'wechat.choice_line', { n: i + 1, label: c.title })).join('\n'));
  return blocks.length === 0 ? undefined : { text: blocks.join('\n\n'), choices };
}

/** A follower's "1" / "１" / " 2 " → the choice it names, if the last message offered that many. */
export function pickChoice(text: string, choices: readonly Choice[]): Choice | undefined {
  const match = /^(\d{1,2})$/.exec(text.normalize('NFKC').trim());
  return match ? choices[Number(match[1]) - 1] : undefined;
}
