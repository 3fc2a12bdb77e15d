"""Business-hours calendars: weekly windows, time zones and public holidays.

Shared by routing (queue hours, agents' shifts) and tickets (SLA policies);
it knows nothing of either."""
