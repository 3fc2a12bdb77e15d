"""The demo account's saved replies: the three scripts a multilingual team
is trained on (greeting, reassurance, closing), in the languages the demo
store serves. German has no "checking" version on purpose: the console then
inserts the agent's language and translates it."""

from __future__ import annotations

DEMO_CANNED_REPLIES: list[dict[str, object]] = [
    {
        "shortcut": "hello",
        "title": "Greeting",
        "kind": "greeting",
        "versions": {
            "en": "Hello {{contact.first_name|there}}, this is {{agent.first_name}} from {{account.name}}. How can I help you today?",
            "es": "Hola {{contact.first_name|}}, soy {{agent.first_name}} de {{account.name}}. ¿En qué puedo ayudarle hoy?",
            "fr": "Bonjour {{contact.first_name|}}, ici {{agent.first_name}} de {{account.name}}. Comment puis-je vous aider ?",
            "de": "Hallo {{contact.first_name|}}, hier ist {{agent.first_name}} von {{account.name}}. Wie kann ich Ihnen helfen?",
            "pt": "Olá {{contact.first_name|}}, aqui é {{agent.first_name}} da {{account.name}}. Como posso ajudar?",
            "zh": "{{contact.name|您}}好，我是{{account.name}}的{{agent.name}}。请问有什么可以帮您？",
            "ja": "{{contact.name|お客}}様、{{account.name}}の{{agent.name}}です。どのようなご用件でしょうか。",
            "ar": "مرحبًا {{contact.first_name|}}، معك {{agent.first_name}} من {{account.name}}. كيف يمكنني مساعدتك اليوم؟",
        },
    },
    {
        "shortcut": "checking",
        "title": "We are checking",
        "kind": "reassurance",
        "versions": {
            "en": "Thank you for your patience. I am checking this for you now and will get back to you as soon as I know more (ticket #{{ticket.id|pending}}).",
            "es": "Gracias por su paciencia. Lo estoy revisando ahora y le escribiré en cuanto sepa más.",
            "fr": "Merci de votre patience. Je vérifie cela maintenant et je reviens vers vous dès que j'en sais plus.",
            "pt": "Obrigado pela paciência. Estou verificando agora e retorno assim que souber mais.",
            "zh": "感谢您的耐心等待。我正在为您核实，一有结果会马上回复您。",
            "ja": "お待たせして申し訳ございません。ただいま確認しておりますので、分かり次第ご連絡いたします。",
        },
    },
    {
        "shortcut": "goodbye",
        "title": "Closing",
        "kind": "closing",
        "versions": {
            "en": "Is there anything else I can help you with? Have a lovely day, {{contact.first_name|}}!",
            "es": "¿Hay algo más en lo que pueda ayudarle? ¡Que tenga un buen día, {{contact.first_name|}}!",
            "fr": "Puis-je vous aider pour autre chose ? Excellente journée, {{contact.first_name|}} !",
            "de": "Kann ich sonst noch etwas für Sie tun? Einen schönen Tag, {{contact.first_name|}}!",
            "pt": "Posso ajudar em mais alguma coisa? Tenha um ótimo dia, {{contact.first_name|}}!",
            "zh": "请问还有其他可以帮您的吗？祝您生活愉快！",
            "ja": "ほかにご不明な点はございますか。どうぞよい一日をお過ごしください。",
            "ar": "هل هناك أي شيء آخر يمكنني مساعدتك به؟ أتمنى لك يومًا سعيدًا!",
        },
    },
]
