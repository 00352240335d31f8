// Chat page: fetches a Direct Line token from this server, renders the locally served Web Chat
// bundle against it, and switches the page and the conversation language from the chooser.
(function () {
  'use strict';

  var WEBCHAT_LOCALE = { 'zh-CN': 'zh-CN', 'zh-TW': 'zh-TW', en: 'en-US' };
  var STORAGE_KEY = 'forbear.language';

  var styleOptions = {
    accent: '#0b2e59',
    backgroundColor: '#ffffff',
    primaryFont: "'Segoe UI', 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif",
    bubbleBackground: '#f1f4f8',
    bubbleBorderColor: '#d9dee5',
    bubbleBorderRadius: 10,
    bubbleBorderWidth: 1,
    bubbleNubSize: 0,
    bubbleTextColor: '#1d2733',
    bubbleFromUserBackground: '#0b2e59',
    bubbleFromUserBorderColor: '#0b2e59',
    bubbleFromUserBorderRadius: 10,
    bubbleFromUserNubSize: 0,
    bubbleFromUserTextColor: '#ffffff',
    bubbleMaxWidth: 520,
    hideUploadButton: true,
    sendBoxButtonColor: '#0b2e59',
    sendBoxButtonColorOnHover: '#c8a24a',
    sendBoxBorderTop: 'solid 1px #d9dee5',
    suggestedActionBackgroundColor: '#ffffff',
    suggestedActionBorderColor: '#0b2e59',
    suggestedActionBorderRadius: 18,
    suggestedActionTextColor: '#0b2e59',
    suggestedActionLayout: 'flow',
    timestampColor: '#5b6777',
    transcriptVisualKeyboardIndicatorColor: '#c8a24a',
  };

  function initialLanguage() {
    var fromQuery = new URLSearchParams(location.search).get('lang');
    var stored = null;
    try { stored = localStorage.getItem(STORAGE_KEY); } catch (e) { /* storage may be disabled */ }
    var candidates = [fromQuery, stored];
    var nav = (navigator.language || '').toLowerCase();
    candidates.push(nav.indexOf('zh') === 0 ? (/tw|hk|mo|hant/.test(nav) ? 'zh-TW' : 'zh-CN') : nav ? 'en' : null);
    for (var i = 0; i < candidates.length; i++) if (candidates[i] && WEBCHAT_LOCALE[candidates[i]]) return candidates[i];
    return 'zh-CN';
  }

  function applyTexts(texts, lang) {
    document.documentElement.lang = lang;
    document.title = texts['web.page_title'];
    document.querySelectorAll('[data-text]').forEach(function (el) {
      var text = texts[el.getAttribute('data-text')];
      if (text) el.textContent = text;
    });
    document.getElementById('chat-region').setAttribute('aria-label', texts['web.chat_label']);
  }

  function showStatus(texts, key, isError) {
    var status = document.getElementById('status');
    status.setAttribute('data-text', key);
    status.textContent = texts[key];
    status.classList.toggle('error', !!isError);
    status.hidden = false;
  }

  function fill(template, vars) {
    return template.replace(/\{(\w+)\}/g, function (_, k) { return vars[k] === undefined ? '' : String(vars[k]); });
  }

  /** The words of an Adaptive Card (its TextBlocks, nested cards included), for a screen reader. */
  function cardText(content) {
    var out = [];
    (function walk(node) {
      if (!node || typeof node !== 'object') return;
      if (node.type === 'TextBlock' && typeof node.text === 'string') out.push(node.text);
      ['body', 'items', 'actions'].forEach(function (k) { (node[k] || []).forEach(walk); });
      if (node.card) walk(node.card);
    })(content);
    return out.join('\n');
  }

  /**
   * Who said it, for screen readers. Web Chat prefixes every message not from the user with one
   * string ("Bot said:", ACTIVITY_BOT_SAID_ALT) and cannot vary it per message, so that prefix is
   * blanked (see render) and each incoming message carries its own speaker in its screen-reader text
   * ('webchat:fallback-text', which Web Chat reads instead of the text): the bot's words as the
   * bot's, a person's as that person's — with the choices and the schedule card, which the
   * fallback text would otherwise hide.
   */
  function withSpeaker(action, texts) {
    var activity = action.payload && action.payload.activity;
    if (!activity || activity.type !== 'message' || (activity.from && activity.from.role === 'user')) return action;
    var channelData = activity.channelData || {};
    if (typeof channelData['webchat:fallback-text'] === 'string') return action;
    var person = channelData.agent;
    var parts = [typeof person === 'string' ? fill(texts['web.person_said'], { name: person, text: activity.text || '' }) : fill(texts['web.bot_said'], { text: activity.text || '' })];
    var choices = ((activity.suggestedActions && activity.suggestedActions.actions) || []).map(function (a) { return a.title || a.value; });
    if (choices.length) parts.push(fill(texts['web.choices'], { choices: new Intl.ListFormat(document.documentElement.lang, { type: 'disjunction' }).format(choices) }));
    (activity.attachments || []).forEach(function (a) {
      if (a.contentType === 'application/vnd.microsoft.card.adaptive') parts.push(a.content.speak || cardText(a.content));
    });
    var spoken = Object.assign({}, activity, { channelData: Object.assign({}, channelData, { 'webchat:fallback-text': parts.join('\n') }) });
    return Object.assign({}, action, { payload: Object.assign({}, action.payload, { activity: spoken }) });
  }

  function asPerson(action, texts) {
    var activity = action.payload && action.payload.activity;
    var name = activity && activity.type === 'message' && activity.channelData && activity.channelData.agent;
    if (typeof name !== 'string' || !activity.text) return action;
    var label = fill(texts['web.person_label'], { name: name });
    var card = {
      contentType: 'application/vnd.microsoft.card.adaptive',
      content: {
        type: 'AdaptiveCard',
        version: '1.3',
        speak: fill(texts['web.person_said'], { name: name, text: activity.text }),
        body: [{
          type: 'Container',
          style: 'accent',
          items: [{ type: 'TextBlock', text: label, weight: 'Bolder', size: 'Small', color: 'Accent', wrap: true }].concat(
            activity.text.split('\n').map(function (line) { return { type: 'TextBlock', text: line, wrap: true, spacing: 'Small' }; }),
          ),
        }],
      },
    };
    var person = Object.assign({}, activity, { text: '', attachments: [card].concat(activity.attachments || []) });
    return Object.assign({}, action, { payload: Object.assign({}, action.payload, { activity: person }) });
  }

  async function main() {
    var catalog = await (await fetch('/assets/texts.json')).json();
    var lang = initialLanguage();
    var chooser = document.getElementById('language');
    chooser.value = lang;
    applyTexts(catalog[lang], lang);

    var response = await fetch('/v3/directline/tokens/generate', { method: 'POST' });
    if (!response.ok) throw new Error('token request failed: ' + response.status);
    var token = (await response.json()).token;

    var directLine = window.WebChat.createDirectLine({
      token: token,
      domain: location.origin + '/v3/directline',
      conversationStartProperties: { locale: WEBCHAT_LOCALE[lang] },
    });
    directLine.connectionStatus$.subscribe(function (status) {
      // 2 = online, 4 = failed to connect (botframework-directlinejs ConnectionStatus)
      if (status === 2) document.getElementById('status').hidden = true;
      if (status === 4) showStatus(catalog[lang], 'web.connection_failed', true);
    });
    // A person's message (channelData.agent) is shown as a person's: their name on a card of its own
    // colour, and screen readers hear the name before the words, never "the bot said" (Web Chat's
    // documented way to change an incoming activity is this store middleware).
    var store = window.WebChat.createStore({}, function () {
      return function (next) {
        return function (action) {
          if (action.type === 'DIRECT_LINE/INCOMING_ACTIVITY') action = asPerson(withSpeaker(action, catalog[lang]), catalog[lang]);
          return next(action);
        };
      };
    });

    function render() {
      // Re-rendering with another locale keeps the conversation; later activities carry the new locale.
      window.WebChat.renderWebChat(
        {
          directLine: directLine,
          store: store,
          locale: WEBCHAT_LOCALE[lang],
          styleOptions: styleOptions,
          // A space, not '': Web Chat falls back to its default for an empty string. Each message names its
          // own speaker instead (withSpeaker).
          overrideLocalizedStrings: { TEXT_INPUT_PLACEHOLDER: catalog[lang]['web.input_placeholder'], ACTIVITY_BOT_SAID_ALT: ' ', ACTIVITY_BOT_ATTACHED_ALT: ' ' },
        },
        document.getElementById('webchat'),
      );
    }

    chooser.addEventListener('change', function () {
      lang = chooser.value;
      try { localStorage.setItem(STORAGE_KEY, lang); } catch (e) { /* storage may be disabled */ }
      applyTexts(catalog[lang], lang);
      render();
    });
    render();
  }

  main().catch(function (err) {
    console.error(err);
    var lang = initialLanguage();
    fetch('/assets/texts.json')
      .then(function (r) { return r.json(); })
      .then(function (catalog) { showStatus(catalog[lang], 'web.connection_failed', true); })
      .catch(function () { /* nothing more to say without texts */ });
  });
})();
