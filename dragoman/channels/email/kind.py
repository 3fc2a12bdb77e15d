"""The e-mail channel's declaration: what it can do and its inboxes'
settings (the address, how mail comes in, the SMTP server replies leave
through). Its feature.py registers it (inboxes.channel_kinds).

The schema describes the settings form and their types; the rules that
cross fields, and the mail servers an account may reach, are checked by
`check` (channels/email/config.py and connections.py) with the channel's
own messages."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dragoman.channels.email.config import read_email_settings
from dragoman.channels.email.connections import check_mail_servers
from dragoman.core.outbound import OutboundAllow
from dragoman.inboxes.channel_kinds import Capabilities, ChannelKind, label

EMAIL = "email"
SECURITY_LABELS = {
    "tls": label("TLS", "TLS"),
    "starttls": label("STARTTLS", "STARTTLS"),
    "none": label("None (local relay only)", "无（仅限本地中继）"),
}


class _Server(BaseModel):
    # Fields the form does not show (CA certificates, IDLE, polling) are kept as stored.
    model_config = ConfigDict(extra="allow")

    # Fields with the same "row" sit side by side in the form.
    # "fact": what the inbox's card shows (a separator: joined to the fact before, host:port).
    host: str = Field(json_schema_extra={"label": label("Host", "主机"), "placeholder": "mail.example.com", "row": "server", "fact": True})
    port: int | None = Field(
        None,
        json_schema_extra={"label": label("Port", "端口"), "placeholder": label("default", "默认"), "min": 1, "max": 65535, "row": "server", "fact": ":"},
    )
    security: Literal["tls", "starttls", "none"] = Field(
        "tls", json_schema_extra={"label": label("Security", "安全连接"), "option_labels": SECURITY_LABELS, "row": "server", "fact": True}
    )
    username: str | None = Field(None, json_schema_extra={"label": label("User name", "用户名"), "row": "login"})
    password: str | None = Field(None, json_schema_extra={"label": label("Password", "密码"), "secret": True, "row": "login"})


class ImapServer(_Server):
    host: str = Field(json_schema_extra={"label": label("Host", "主机"), "placeholder": "imap.example.com", "row": "server", "fact": True})
    folder: str = Field("INBOX", json_schema_extra={"label": label("Folder", "文件夹")})


class SmtpServer(_Server):
    host: str = Field(json_schema_extra={"label": label("Host", "主机"), "placeholder": "smtp.example.com", "row": "server", "fact": True})
    security: Literal["tls", "starttls", "none"] = Field(
        "starttls", json_schema_extra={"label": label("Security", "安全连接"), "option_labels": SECURITY_LABELS, "row": "server", "fact": True}
    )


class EmailInboxSettings(BaseModel):
    # The common switches (csat, bot, ...) live beside these in the same object.
    model_config = ConfigDict(extra="allow")

    address: str = Field(
        json_schema_extra={
            "label": label("E-mail address", "电子邮件地址"),
            "help": label("The address customers write to.", "客户来信的地址。"),
            "input": "email",
            "placeholder": "support@example.com",
            "row": "sender",
            "fact": True,
        }
    )
    from_name: str | None = Field(
        None,
        json_schema_extra={
            "label": label("Sender name", "发件人名称"),
            "help": label("Shown as the sender of replies, e.g. Shop support.", "回复邮件中显示的发件人，例如“商店客服”。"),
            "row": "sender",
        },
    )
    receive: Literal["imap", "smtp"] = Field(
        "imap",
        json_schema_extra={
            "label": label("Incoming mail", "收信方式"),
            "help": label(
                "Read a mailbox by IMAP, or receive mail on Dragoman's own SMTP listener.",
                "通过 IMAP 读取邮箱，或由 Dragoman 自带的 SMTP 监听器接收邮件。",
            ),
            "option_labels": {"imap": label("IMAP mailbox", "IMAP 邮箱"), "smtp": label("Dragoman's SMTP listener", "Dragoman 的 SMTP 监听器")},
            "fact": True,
        },
    )
    imap: ImapServer | None = Field(
        None,
        json_schema_extra={
            "label": label("IMAP server (incoming)", "IMAP 服务器（收信）"),
            "help": label("The mailbox Dragoman reads new mail from.", "Dragoman 从此邮箱读取新邮件。"),
            "show_when": {"receive": "imap"},
            "fact": True,
        },
    )
    smtp: SmtpServer | None = Field(
        None,
        json_schema_extra={
            "label": label("SMTP server (outgoing)", "SMTP 服务器（发信）"),
            "help": label(
                "Replies leave through this server. Leave the host empty to send no mail.",
                "回复通过此服务器发出。主机留空则不发送邮件。",
            ),
            "fact": True,
        },
    )
    acknowledge: bool = Field(
        False,
        json_schema_extra={
            "label": label(
                "Answer each new request at once by mail, with its number, in the customer's language",
                "收到新请求时立即用客户的语言回复邮件，并告知请求编号",
            ),
        },
    )


def check_settings(settings: dict[str, Any], allow: OutboundAllow) -> None:
    """Fields as config.py reads them, and mail servers accounts may reach."""
    check_mail_servers(read_email_settings(settings), allow)


KIND = ChannelKind(
    name=EMAIL,
    labels=label("E-mail", "电子邮箱"),
    capabilities=Capabilities(files=True, threads=True),
    routing_channel="email",
    settings_schema=EmailInboxSettings,
    check=check_settings,
    delivery="later",
    support_form=True,
    imports_mail=True,
    switches=("csat",),
    connection_test=True,
)
