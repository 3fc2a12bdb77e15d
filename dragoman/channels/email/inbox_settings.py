"""How inboxes treat an e-mail inbox's settings: checked (fields, and mail
servers accounts may reach) before anything is stored, passwords sealed,
masked when shown and kept when the mask comes back. The channel's feature.py registers it
with `inboxes.services.register_channel_settings`."""

from __future__ import annotations

from typing import Any

from dragoman.channels.email.config import keep_secrets, mask_secrets, read_email_settings, seal_passwords
from dragoman.channels.email.connections import check_mail_servers
from dragoman.core.outbound import OutboundAllow
from dragoman.inboxes.services import ChannelSettings


def check_settings(settings: dict[str, Any] | None, allow: OutboundAllow) -> None:
    check_mail_servers(read_email_settings(settings), allow)


EMAIL_INBOX_SETTINGS = ChannelSettings(
    check=check_settings, seal=seal_passwords, keep_secrets=keep_secrets, mask_secrets=mask_secrets, support_form=True
)
