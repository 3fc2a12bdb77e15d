"""A ticket field's label for a reader (pure): what the ticket list says
when a bulk change is refused for an empty required field."""

from __future__ import annotations

from dragoman.tickets.fields import label_for

LABELS = {"en": "Order number", "de": "Bestellnummer", "zh-Hans": "订单号"}


def test_the_readers_language_then_its_base_then_english_then_the_key() -> None:
    assert label_for(LABELS, "de", "order_number") == "Bestellnummer"
    assert label_for(LABELS, "de-AT", "order_number") == "Bestellnummer"
    assert label_for(LABELS, "zh-hans", "order_number") == "订单号"
    assert label_for(LABELS, "fr", "order_number") == "Order number"
    assert label_for({"ja": "注文番号"}, "fr", "order_number") == "注文番号"
    assert label_for({}, "fr", "order_number") == "order_number"
