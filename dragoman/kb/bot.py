"""What the FAQ bot says and when it steps aside: pure decisions, no I/O.

The worker (`kb.worker`) feeds each customer message through `decide` with
the conversation's bot state and the best article found, then carries the
decision out. Keeping the rules here makes them quick to test one by one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

import simplemma
from simplemma.strategies import DefaultStrategy
from simplemma.strategies.dictionaries.dictionary_factory import DefaultDictionaryFactory

from dragoman.kb.text import strip_accents

MAX_UNHELPFUL_ANSWERS = 2
# Articles offered with a low-score hand-off, best first.
MAX_SUGGESTIONS = 3
# "yes" / "no" to "did that help?" is a short message; a longer one is a new question.
MAX_FEEDBACK_WORDS = 4


class Action(str, Enum):
    answer = "answer"  # reply with the article's short answer and a link
    handoff = "handoff"  # stop; a person takes over
    thank = "thank"  # the customer said the answer helped: close politely
    rephrase = "rephrase"  # the answer did not help: ask for other words (or a person)


class Reason(str, Enum):
    low_score = "low_score"
    asked_for_person = "asked_for_person"
    unhelpful = "unhelpful"
    always_human = "always_human"
    no_knowledge_base = "no_knowledge_base"
    agent_took_over = "agent_took_over"
    sent_files = "sent_files"
    starting = "starting"  # the bot's model or index was still loading


@dataclass(frozen=True)
class Found:
    """The best article for the question, as the worker looked it up."""

    article_id: int
    score: float
    always_human: bool
    slug: str


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: Reason | None = None
    found: Found | None = None
    feedback: bool | None = None  # the customer's answer to "did that help?", when this message was one


# Words that ask for a person, per language. Spaced languages are matched on
# lemmas (simplemma, per language, accents ignored), so every inflected form
# counts: Russian "оператором", Polish "konsultantem", Arabic "بالموظف" with
# its prefixes. A phrase matches as consecutive lemmas. Chinese, Japanese,
# Korean and Thai match anywhere in the text. French "personne" is left out:
# it also means "nobody".
_PERSON_WORDS = {
    "en": ["agent", "human", "a person", "real person", "representative", "operator", "someone real", "talk to someone", "speak to someone", "live person"],
    "es": ["humano", "agente", "una persona", "persona real", "persona de verdad", "operador", "asesor"],
    "fr": ["humain", "agent", "conseiller", "operateur", "opérateur", "vraie personne", "quelqu'un de reel"],
    "de": ["mensch", "mitarbeiter", "berater", "agent", "echte person", "kundenberater"],
    "pt": ["humano", "atendente", "agente", "uma pessoa", "pessoa real", "operador"],
    "it": ["operatore", "umano", "una persona", "agente"],
    "nl": ["medewerker", "mens", "echt persoon"],
    "tr": ["temsilci", "insan", "operatör"],
    "pl": ["konsultant", "konsultantka", "człowiek", "pracownik", "pracownica", "operator", "żywy człowiek"],
    "uk": ["оператор", "людина", "співробітник", "співробітниця", "консультант"],
    "ar": ["موظف", "انسان", "إنسان", "شخص حقيقي", "وكيل", "خدمة العملاء"],
    "ru": ["оператор", "человек", "сотрудник", "сотрудница", "консультант", "живой человек"],
}
_PERSON_DENSE = [
    "人工", "真人", "客服", "转人工", "有人吗", "担当者", "オペレーター", "人間", "スタッフ", "상담원", "상담사", "직원", "사람",
    "เจ้าหน้าที่", "พนักงาน",
]  # fmt: skip

_YES = {
    "yes", "yeah", "yep", "yup", "ok", "okay", "thanks", "thank you", "great", "perfect", "it did", "that helped",
    "si", "gracias", "vale", "perfecto", "oui", "merci", "parfait", "ja", "danke", "super", "genau",
    "sim", "obrigado", "obrigada", "certo", "grazie", "nam", "shukran", "نعم", "شكرا", "ايوه", "تمام",
}  # fmt: skip
_NO = {
    "no", "nope", "not really", "it didnt", "didnt help", "not helpful", "non", "pas vraiment", "nein", "nicht wirklich",
    "nao", "não", "no me ayudo", "لا", "كلا",
}  # fmt: skip
_YES_DENSE = ["是的", "是", "好的", "谢谢", "有帮助", "はい", "ありがとう", "助かりました", "네", "감사"]
_NO_DENSE = ["没有", "不是", "没用", "不", "いいえ", "役に立たない", "아니요"]

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)


def _normalise(text: str) -> str:
    folded = strip_accents(unicodedata.normalize("NFKC", text).lower())
    return " ".join(_WORD.findall(folded))


def _has_phrase(normalised: str, phrase: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(_normalise(phrase))}(?!\w)", normalised) is not None


# Lemmatised here: the languages whose words for a person change with their
# case or take prefixes. The others' forms are few and listed above.
# simplemma keeps 8 dictionaries loaded by default and reloads one (seconds)
# when a ninth is asked for: this lemmatiser keeps its own, so the bot's
# check never evicts the search's dictionaries nor they its own.
_INFLECTED = ("ru", "uk", "pl", "ar", "de", "tr")
_person_lemmatiser = simplemma.Lemmatizer(
    lemmatization_strategy=DefaultStrategy(dictionary_factory=DefaultDictionaryFactory(cache_max_size=len(_INFLECTED)))
)


# A word is lemmatised only when it contains the first letters of one of the
# language's words for a person (Arabic prefixes come before them, so "in",
# not "starts with"): most messages then load no dictionary at all, and the
# first "оператором" of a process loads Russian's alone (a second or two).
_STEM_LETTERS = 4


def _fold(word: str) -> str:
    return strip_accents(unicodedata.normalize("NFKC", word).lower())


@lru_cache(maxsize=1)
def _person_stems() -> dict[str, frozenset[str]]:
    return {
        language: frozenset(_fold(word)[:_STEM_LETTERS] for phrase in phrases for word in _WORD.findall(phrase.lower()))
        for language, phrases in _PERSON_WORDS.items()
        if language in _INFLECTED
    }


def _lemmas(text: str, language: str) -> tuple[str, ...] | None:
    """The words of `text`, lower case, accents off; for an inflected
    language as its lemmas where they may be one of its words for a person,
    and None when none may be (nothing to look for, no dictionary loaded)."""
    words = _WORD.findall(unicodedata.normalize("NFKC", text).lower())
    stems = _person_stems().get(language)
    if stems is None:
        return tuple(strip_accents(word) for word in words)
    out = []
    hit = False
    for word in words:
        folded = strip_accents(word)
        if any(stem in folded for stem in stems):
            hit = True
            folded = strip_accents(_person_lemmatiser.lemmatize(word, language).lower())
        out.append(folded)
    return tuple(out) if hit else None


@lru_cache(maxsize=len(_PERSON_WORDS))
def _person_phrases(language: str) -> list[tuple[str, ...]]:
    """One language's _PERSON_WORDS as lemma sequences (its dictionary loads
    the first time a message may hold one of them)."""
    return [_lemmas(phrase, language) or () for phrase in _PERSON_WORDS[language]]


# Two words for a person mean something else as often. "Operator" is also a
# mobile network: "сменить оператора", "cambiar de operador", "zmiana
# operatora" (keeping one's number when changing network) is a question for
# the knowledge base. "Человек" also counts people: "номер на двух
# человек", "сколько человек". Alone, or beside other words, they still ask
# for a person ("оператора!", "соедините с оператором", "с живым человеком").
_NETWORK_WORDS = frozenset(
    strip_accents(word) for word in ("operator", "оператор", "operador", "operatore", "operateur", "operatör")
)
# Beginnings of words that say the operator is a network (change, switch,
# move, mobile, cellular, network, carrier, number porting) in the languages
# whose word for a person is also the word for a network. Compared with
# words as `_lemmas` gives them: lower case, accents off (which also turns
# "й" into "и").
_NETWORK_CUES = tuple(
    strip_accents(cue)
    for cue in (
        "chang", "switch", "network", "mobile", "carrier", "porting",
        "смен", "помен", "менят", "перей", "переход", "мобил", "сотов", "связи", "перенес", "перенос",
        "змін", "мобіл", "перейт", "перехід",
        "cambi", "movil", "telefonia", "portab", "mudar", "mudanc", "movel", "telemovel", "rede",
        "zmian", "zmien", "komork", "siec", "przenie", "przejs",
        "wechs", "mobilfunk", "netz", "anbieter", "reseau", "gestore", "degis",
    )
)  # fmt: skip
# How near "operator" such a word must stand: "хочу перейти к другому
# оператору" is about the network, "хочу сменить тариф, соедините с
# оператором" asks for a person.
_CUE_WINDOW = 3
_PEOPLE_WORDS = frozenset(strip_accents(word) for word in ("человек", "людина", "człowiek"))
# A number, or a word of quantity, right before "человек" counts people.
_COUNT_CUES = tuple(
    strip_accents(cue)
    for cue in (
        "два", "двух", "двое", "три", "трёх", "трое", "четыр", "пят", "шест", "сем", "восем", "девят", "десят",
        "сколько", "нескольк", "много",
        "дві", "двох", "трьох", "чотир", "скільки", "кількох", "багато",
        "dwa", "dwie", "dwóch", "trzy", "trzech", "czter", "pięc", "ilu", "kilku", "wielu",
    )
)  # fmt: skip


def _other_sense(words: tuple[str, ...], start: int, phrase: tuple[str, ...]) -> bool:
    """Whether a one-word match at `start` means a mobile network or a
    number of people rather than a person to talk to."""
    if len(phrase) != 1:
        return False
    word = phrase[0]
    if word in _NETWORK_WORDS:
        near = words[max(0, start - _CUE_WINDOW) : start] + words[start + 1 : start + 1 + _CUE_WINDOW]
        return any(other.startswith(_NETWORK_CUES) for other in near)
    if word in _PEOPLE_WORDS and start > 0:
        before = words[start - 1]
        return before.isdigit() or before.startswith(_COUNT_CUES)
    return False


def _person_in(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    width = len(phrase)
    return width > 0 and any(
        words[i : i + width] == phrase and not _other_sense(words, i, phrase) for i in range(len(words) - width + 1)
    )


def asks_for_person(text: str) -> bool:
    """True when the customer asks for a human, in any language we know the
    words of, in any inflected form. The message's language is not trusted
    (a short "оператора!" is often detected wrongly): every language's words
    are tried, each lemmatised as that language. "Operator" beside a word
    for changing network, and "человек" after a number, do not count
    (`_other_sense`)."""
    if any(word in text for word in _PERSON_DENSE):
        return True
    for language in _PERSON_WORDS:
        words = _lemmas(text, language)
        if words is not None and any(_person_in(words, phrase) for phrase in _person_phrases(language)):
            return True
    return False


def load_person_dictionaries() -> None:
    """Load the dictionaries the person check lemmatises with (Russian,
    Ukrainian, Polish, Arabic, German, Turkish: seconds each, Polish about
    10 s on a busy machine), so that the first customer who asks for a
    person in one of them does not wait for it. Called while the bot starts."""
    for language in _INFLECTED:
        _person_phrases(language)
        _person_lemmatiser.lemmatize("test", language)


def feedback_of(text: str) -> bool | None:
    """True for "yes, that helped", False for "no", None for anything else
    (a new question, or too long to be a plain answer)."""
    normalised = _normalise(text)
    stripped = text.strip().rstrip("!.。！?？ ")
    if not normalised and not stripped:
        return None
    if len(normalised.split()) > MAX_FEEDBACK_WORDS:
        return None
    if stripped in _NO_DENSE or any(_has_phrase(normalised, word) for word in _NO):
        return False
    if stripped in _YES_DENSE or any(_has_phrase(normalised, word) for word in _YES):
        return True
    if any(word in stripped for word in _NO_DENSE):
        return False
    if any(word in stripped for word in _YES_DENSE):
        return True
    return None


def settles_without_search(text: str, *, awaiting_feedback: bool, sent_files: bool = False) -> bool:
    """Whether `decide` acts on this message whatever the search finds: a
    request for a person, a file, or an answer to "did that help?". The
    worker then neither searches nor translates it."""
    return sent_files or asks_for_person(text) or (awaiting_feedback and feedback_of(text) is not None)


def near_misses(candidates: Sequence[Found], threshold: float, margin: float) -> list[Found]:
    """The articles that scored just under the threshold: not sure enough to
    answer with, close enough to offer while a person is on the way. Best
    first, as found."""
    return [c for c in candidates[:MAX_SUGGESTIONS] if threshold - margin <= c.score < threshold]


def decide(
    text: str,
    *,
    awaiting_feedback: bool,
    unhelpful_answers: int,
    found: Found | None,
    threshold: float,
    has_knowledge_base: bool = True,
    sent_files: bool = False,
    starting: bool = False,
) -> Decision:
    """The bot's move on one customer message. Order matters: a request for a
    person wins over everything, then a file (a photo of the broken item, an
    invoice: the bot cannot read it, a person must); an answer to "did that
    help?" is read as such before being searched as a question. While the
    bot is `starting` (nothing to search yet) a person takes every question."""
    if asks_for_person(text):
        return Decision(Action.handoff, Reason.asked_for_person)
    if sent_files:
        return Decision(Action.handoff, Reason.sent_files)
    if starting:
        return Decision(Action.handoff, Reason.starting)
    feedback = feedback_of(text) if awaiting_feedback else None
    if feedback is True:
        return Decision(Action.thank, feedback=True)
    if feedback is False:
        if unhelpful_answers + 1 >= MAX_UNHELPFUL_ANSWERS:
            return Decision(Action.handoff, Reason.unhelpful, feedback=False)
        return Decision(Action.rephrase, feedback=False)
    if not has_knowledge_base:
        return Decision(Action.handoff, Reason.no_knowledge_base)
    if found is None or found.score < threshold:
        return Decision(Action.handoff, Reason.low_score, found)
    if found.always_human:
        return Decision(Action.handoff, Reason.always_human, found)
    return Decision(Action.answer, found=found)


# -- what the bot says, per language ---------------------------------------------------

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "starting": "Our automatic assistant is still starting up, so I'm passing you to a colleague, who will answer here shortly.",
        "translated": "(Translated automatically.)",
        "ask": "Did this answer your question? Reply yes or no.",
        "more": "Read more:",
        "handoff": "I'm passing you to a colleague, who will answer here shortly.",
        "meanwhile": "While you wait, these articles may already answer your question:",
        "rephrase": "Sorry that didn't help. Could you put your question in other words? Or write \"agent\" to talk to a person.",
        "thank": "Glad I could help! Write again any time.",
    },
    "es": {
        "starting": "Nuestro asistente automático aún se está iniciando, así que te paso con un compañero, que te responderá aquí en breve.",
        "translated": "(Traducido automáticamente.)",
        "ask": "¿Ha respondido esto a tu pregunta? Responde sí o no.",
        "more": "Más información:",
        "handoff": "Te paso con un compañero, que te responderá aquí en breve.",
        "meanwhile": "Mientras esperas, quizá estos artículos ya respondan a tu pregunta:",
        "rephrase": "Siento que no te haya ayudado. ¿Puedes decirlo con otras palabras? O escribe \"agente\" para hablar con una persona.",
        "thank": "¡Me alegro de haberte ayudado! Escríbenos cuando quieras.",
    },
    "fr": {
        "starting": "Notre assistant automatique est encore en train de démarrer : je vous passe un collègue, qui vous répondra ici très bientôt.",
        "translated": "(Traduit automatiquement.)",
        "ask": "Cela a-t-il répondu à votre question ? Répondez oui ou non.",
        "more": "En savoir plus :",
        "handoff": "Je vous passe un collègue, qui vous répondra ici très bientôt.",
        "meanwhile": "En attendant, ces articles répondent peut-être déjà à votre question :",
        "rephrase": "Désolé que cela n'ait pas aidé. Pouvez-vous reformuler ? Ou écrivez « conseiller » pour parler à une personne.",
        "thank": "Ravi d'avoir pu vous aider ! Écrivez-nous quand vous voulez.",
    },
    "de": {
        "starting": "Unser automatischer Assistent startet gerade noch, darum verbinde ich Sie mit einem Kollegen, der Ihnen hier gleich antwortet.",
        "translated": "(Automatisch übersetzt.)",
        "ask": "Hat das Ihre Frage beantwortet? Antworten Sie mit Ja oder Nein.",
        "more": "Mehr dazu:",
        "handoff": "Ich verbinde Sie mit einem Kollegen, der Ihnen hier gleich antwortet.",
        "meanwhile": "Während Sie warten, beantworten vielleicht schon diese Artikel Ihre Frage:",
        "rephrase": "Schade, dass das nicht geholfen hat. Können Sie die Frage anders formulieren? Oder schreiben Sie „Mitarbeiter“, um mit einem Menschen zu sprechen.",
        "thank": "Schön, dass ich helfen konnte! Schreiben Sie jederzeit wieder.",
    },
    "pt": {
        "starting": "O nosso assistente automático ainda está a iniciar, por isso vou passá-lo a um colega, que responderá aqui em breve.",
        "translated": "(Traduzido automaticamente.)",
        "ask": "Isto respondeu à sua pergunta? Responda sim ou não.",
        "more": "Saiba mais:",
        "handoff": "Vou passá-lo a um colega, que responderá aqui em breve.",
        "meanwhile": "Enquanto espera, talvez estes artigos já respondam à sua pergunta:",
        "rephrase": "Lamento não ter ajudado. Pode dizer a pergunta por outras palavras? Ou escreva \"atendente\" para falar com uma pessoa.",
        "thank": "Ainda bem que ajudei! Escreva sempre que precisar.",
    },
    "it": {
        "starting": "Il nostro assistente automatico si sta ancora avviando, quindi ti passo a un collega, che ti risponderà qui a breve.",
        "translated": "(Tradotto automaticamente.)",
        "ask": "Ho risposto alla tua domanda? Rispondi sì o no.",
        "more": "Per saperne di più:",
        "handoff": "Ti passo a un collega, che ti risponderà qui a breve.",
        "meanwhile": "Mentre aspetti, questi articoli potrebbero già rispondere alla tua domanda:",
        "rephrase": "Mi dispiace non esserti stato utile. Puoi riformulare la domanda? Oppure scrivi \"operatore\" per parlare con una persona.",
        "thank": "Felice di esserti stato utile! Scrivici quando vuoi.",
    },
    "zh": {
        "starting": "我们的自动助手还在启动中，我将为您转接同事，他们很快会在这里回复您。",
        "translated": "（机器翻译）",
        "ask": "这解答了您的问题吗？请回复“是”或“否”。",
        "more": "了解更多：",
        "handoff": "我将为您转接同事，他们很快会在这里回复您。",
        "meanwhile": "在等待期间，以下文章或许已能解答您的问题：",
        "rephrase": "抱歉没能帮到您。能换种说法描述您的问题吗？或者输入“人工”联系客服人员。",
        "thank": "很高兴能帮到您！有问题随时联系我们。",
    },
    "ja": {
        "starting": "自動アシスタントはまだ起動中のため、担当者におつなぎします。まもなくこちらでお返事します。",
        "translated": "（自動翻訳）",
        "ask": "ご質問の答えになりましたか？「はい」か「いいえ」でお答えください。",
        "more": "詳しくはこちら：",
        "handoff": "担当者におつなぎします。まもなくこちらでお返事します。",
        "meanwhile": "お待ちの間に、こちらの記事でご質問が解決するかもしれません：",
        "rephrase": "お役に立てず申し訳ありません。別の言葉でご質問いただけますか？担当者と話すには「担当者」と入力してください。",
        "thank": "お役に立ててよかったです！いつでもご連絡ください。",
    },
    "ar": {
        "starting": "مساعدنا الآلي لا يزال قيد التشغيل، لذا سأحوّلك إلى أحد الزملاء، وسيرد عليك هنا قريبًا.",
        "translated": "(ترجمة آلية.)",
        "ask": "هل أجاب هذا عن سؤالك؟ أجب بنعم أو لا.",
        "more": "اقرأ المزيد:",
        "handoff": "سأحوّلك إلى أحد الزملاء، وسيرد عليك هنا قريبًا.",
        "meanwhile": "أثناء الانتظار، قد تجيب هذه المقالات عن سؤالك:",
        "rephrase": "عذرًا لأن ذلك لم يساعد. هل يمكنك صياغة سؤالك بكلمات أخرى؟ أو اكتب \"موظف\" للتحدث مع شخص.",
        "thank": "سعيد لأنني استطعت المساعدة! راسلنا في أي وقت.",
    },
}


def phrase(language: str | None, key: str) -> str:
    return PHRASES.get((language or "en").split("-", 1)[0].lower(), PHRASES["en"])[key]


def answer_text(language: str | None, summary: str, title: str, url: str, *, machine_translated: bool = False) -> str:
    """The bot's reply: the short answer (marked when a machine translated it
    for this customer), a link to the whole article, and the question."""
    short = summary.strip() or title.strip()
    if machine_translated:
        short = f"{short}\n{phrase(language, 'translated')}"
    return f"{short}\n\n{phrase(language, 'more')} {url}\n\n{phrase(language, 'ask')}"


@dataclass(frozen=True)
class Suggestion:
    title: str
    url: str


def handoff_text(language: str | None, suggestions: Sequence[Suggestion] = (), *, starting: bool = False) -> str:
    """The bot's last message: a person is coming (and why, while the bot is
    still starting), and, after a low score, the articles that came close, to
    read while waiting."""
    text = phrase(language, "starting" if starting else "handoff")
    if not suggestions:
        return text
    listed = "\n".join(f"• {s.title} – {s.url}" for s in suggestions)
    return f"{text}\n\n{phrase(language, 'meanwhile')}\n{listed}"


HANDOFF_ACTIVITY_TEXT = {
    Reason.low_score: "The bot found no confident answer and handed the conversation to a person",
    Reason.asked_for_person: "The customer asked for a person; the bot handed the conversation over",
    Reason.unhelpful: "The bot's answers did not help twice; it handed the conversation to a person",
    Reason.always_human: "The topic is handled by people; the bot handed the conversation over",
    Reason.no_knowledge_base: "The bot has no published articles yet and handed the conversation to a person",
    Reason.agent_took_over: "An agent took over the conversation from the bot",
    Reason.sent_files: "The customer sent a file; the bot handed the conversation to a person",
    Reason.starting: "The FAQ bot was still starting and handed the conversation to a person",
}
