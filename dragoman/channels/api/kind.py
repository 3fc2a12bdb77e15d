"""The API channel: tickets and messages another system posts (a web form,
a shop's backend) through the REST API. Replies are read back through the
API or a webhook; nothing is sent by Dragoman itself."""

from __future__ import annotations

from dragoman.inboxes.channel_kinds import Capabilities, ChannelKind, label

KIND = ChannelKind(
    name="api",
    labels=label("API", "API"),
    capabilities=Capabilities(threads=True),
    # Tickets and their replies are e-mail-like work: one agent holds several.
    routing_channel="email",
    imports_mail=True,
    switches=("csat",),
)
