"""Every feature, in order: the app plugs them in (routes, listeners,
runtimes, ...) in this order, starts their runtimes in it and stops them in
reverse. A feature's `plug` may use the services of the features before it
(the language runtime first of all). Adding a feature is one folder with its
`feature.py`, and its line here (imported above, placed in order below).
Only `app.py` imports this list; features never do (pyproject.toml's import
contracts)."""

from __future__ import annotations

from dragoman.accounts.feature import FEATURE as accounts
from dragoman.canned.feature import FEATURE as canned
from dragoman.channels.api.feature import FEATURE as api_channel
from dragoman.channels.email.feature import FEATURE as email
from dragoman.channels.feature import FEATURE as channels
from dragoman.channels.webchat.feature import FEATURE as webchat
from dragoman.conversations.feature import FEATURE as conversations
from dragoman.core.features import Feature
from dragoman.csat.feature import FEATURE as csat
from dragoman.customer_pages.feature import FEATURE as customer_pages
from dragoman.demo.feature import FEATURE as demo
from dragoman.inboxes.feature import FEATURE as inboxes
from dragoman.jobs.feature import FEATURE as jobs
from dragoman.kb.feature import FEATURE as kb
from dragoman.language.feature import FEATURE as language
from dragoman.realtime.feature import FEATURE as realtime
from dragoman.routing.feature import FEATURE as routing
from dragoman.tickets.feature import FEATURE as tickets
from dragoman.web.feature import FEATURE as web
from dragoman.webhooks.feature import FEATURE as webhooks

FEATURES: tuple[Feature, ...] = (
    accounts,
    inboxes,
    language,
    conversations,
    kb,
    routing,
    tickets,
    canned,
    csat,
    # The delivery pipeline, before the channels that hand it their senders.
    channels,
    email,
    api_channel,
    demo,
    webhooks,
    jobs,
    realtime,
    webchat,
    customer_pages,
    # Last: the console's pages and its static files.
    web,
)
