"""The web chat's declaration: a website's chat widget. A reply needs no
sending of its own: the realtime hub pushes it to the visitor's open
sockets as it is stored, and the widget loads the history when it
reconnects. Its feature.py registers it (inboxes.channel_kinds)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from dragoman.inboxes.channel_kinds import Capabilities, ChannelKind, label

WEBCHAT = "webchat"
_THRESHOLD_HELP = label(
    "0 to 1; empty: the default. Lower it if the bot hands over questions its articles answer, raise it if it answers "
    "off-topic ones; `dragoman bot eval FILE --choose-threshold` finds it from your own labelled questions.",
    "0 到 1；留空：使用默认值。机器人把文章能回答的问题转给人工时调低，机器人回答无关问题时调高；"
    "`dragoman bot eval FILE --choose-threshold` 可根据您自己标注的问题求出合适的值。",
)


class WebchatInboxSettings(BaseModel):
    # The common switches (csat, bot, ...) live beside these in the same object.
    model_config = ConfigDict(extra="allow")

    # Text, or {"en": ..., "zh_Hans": ...} set through the API (the form keeps that as it is).
    greeting: str | dict[str, str] | None = Field(
        # What a new inbox's form starts with; the widget shows it in each customer's language.
        "Hi! How can we help you today?",
        json_schema_extra={
            "label": label("Greeting", "欢迎语"),
            "help": label(
                "The first words customers see when they open the chat. The default greeting is shown in each customer's language.",
                "客户打开聊天窗口时首先看到的话。默认欢迎语会以每位客户自己的语言显示。",
            ),
            "widget": "textarea",
        },
    )
    bot_threshold: float | None = Field(
        None, json_schema_extra={"label": label("FAQ bot: hand over below this score", "FAQ 机器人：得分低于此值时转人工"), "help": _THRESHOLD_HELP, "min": 0, "max": 1}
    )
    bot_words_threshold: float | None = Field(
        None,
        json_schema_extra={
            "label": label("FAQ bot matching words only: hand over below this score", "FAQ 机器人（仅按词语匹配）：得分低于此值时转人工"),
            "help": label(
                "Used only while the server runs without its embedding model (the FAQ bot page says which scoring is in use); "
                "the two scores are on different scales. 0 to 1; empty: the default.",
                "仅在服务器未使用嵌入模型时生效（FAQ 机器人页面会显示当前的评分方式）；两种分数的尺度不同。0 到 1；留空为默认值。",
            ),
            "min": 0,
            "max": 1,
        },
    )


KIND = ChannelKind(
    name=WEBCHAT,
    labels=label("Web chat", "网页聊天"),
    capabilities=Capabilities(files=True, read_receipts=False),
    routing_channel="chat",
    settings_schema=WebchatInboxSettings,
    delivery="push",
    website_token=True,
    switches=("bot", "csat", "customer_files"),
)
