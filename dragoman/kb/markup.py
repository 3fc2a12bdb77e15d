"""Article bodies to safe HTML. Nothing an article holds is ever rendered as
it is: HTML (from an import, or typed by an admin) goes through nh3's
allow-list sanitiser, which also closes broken tags; anything else is light
markup, escaped first and then given paragraphs, "- " lists, *emphasis*,
**strong** and [links](https://...)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "a", "h2", "h3", "h4",
    "blockquote", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"colspan", "rowspan"}, "td": {"colspan", "rowspan"}}
URL_SCHEMES = {"http", "https", "mailto"}

# HTML from an editor or an import uses these; a light-markup body that merely
# mentions "<script>" stays light markup and is shown escaped.
_LOOKS_LIKE_HTML = re.compile(r"<\s*/?\s*(p|div|br|ul|ol|li|h[1-6]|strong|em|b|i|a|table|span|blockquote)\b[^<>]*>", re.IGNORECASE)
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+|mailto:[^\s)]+)\)")
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")


def sanitise_html(raw: str) -> str:
    return nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def _inline(escaped: str) -> str:
    """Links, strong and emphasis on text that is already escaped."""
    text = _LINK.sub(lambda m: f'<a href="{m.group(2)}" rel="noopener noreferrer nofollow">{m.group(1)}</a>', escaped)
    text = _STRONG.sub(r"<strong>\1</strong>", text)
    return _EMPHASIS.sub(r"<em>\1</em>", text)


def _light_markup(raw: str) -> str:
    blocks = re.split(r"\n\s*\n", raw.replace("\r\n", "\n").strip())
    out: list[str] = []
    for block in blocks:
        lines = [line.rstrip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if all(line.lstrip().startswith(("- ", "* ")) for line in lines):
            items = "".join(f"<li>{_inline(html.escape(line.lstrip()[2:].strip()))}</li>" for line in lines)
            out.append(f"<ul>{items}</ul>")
        else:
            out.append("<p>" + "<br>".join(_inline(html.escape(line.strip())) for line in lines) + "</p>")
    return "\n".join(out)


def render_body(raw: str) -> Markup:
    """Safe HTML for a help-center page."""
    if not raw or not raw.strip():
        return Markup("")
    produced = sanitise_html(raw) if _LOOKS_LIKE_HTML.search(raw) else _light_markup(raw)
    # The light markup's output goes through the sanitiser too: one gate for both.
    return Markup(sanitise_html(produced))  # noqa: S704 - sanitised just above


def plain_text(raw: str) -> str:
    """The words of a body, without markup: for snippets in search results."""
    text = nh3.clean(raw, tags=set()) if _LOOKS_LIKE_HTML.search(raw) else raw
    text = html.unescape(text)
    text = _LINK.sub(r"\1", text)
    text = text.replace("**", "").replace("*", "")
    return re.sub(r"\s+", " ", re.sub(r"(?m)^\s*- ", "", text)).strip()


# Markup a translation engine must not see: it would translate a link's
# address, or move and drop asterisks (Apertium turns "**Gifts**" into
# "*Regalos**"). Each match is kept as written; the text between is translated.
_HTML_TAG = re.compile(r"<[^<>]+>")
_KEPT_MARKUP = re.compile(
    r"(?P<link_open>\[)(?=[^\]\n]+\]\((?:https?://|mailto:)[^\s)]+\))"
    r"|(?P<link_close>\]\((?:https?://|mailto:)[^\s)]+\))"
    r"|(?P<item>(?m:^)[ \t]*[-*][ \t]+)"
    r"|(?P<strong>\*\*)"
    r"|(?P<emphasis>\*)"
    r"|(?P<breaks>\n+)"
)


def translate_markup(raw: str, translate: Callable[[str], str]) -> str:
    """`raw` (light markup or HTML) with its words translated by `translate`
    run by run, and every piece of markup, line break and link address kept
    where it was. A run keeps its own leading and trailing spaces."""
    pattern = _HTML_TAG if _LOOKS_LIKE_HTML.search(raw) else _KEPT_MARKUP
    out: list[str] = []
    position = 0
    for match in pattern.finditer(raw):
        out.append(_translate_run(raw[position : match.start()], translate))
        out.append(match.group(0))
        position = match.end()
    out.append(_translate_run(raw[position:], translate))
    return "".join(out)


def _translate_run(run: str, translate: Callable[[str], str]) -> str:
    words = run.strip()
    if not any(ch.isalpha() for ch in words):
        return run  # spaces, numbers, punctuation: nothing to translate
    leading = run[: len(run) - len(run.lstrip())]
    trailing = run[len(run.rstrip()) :]
    return f"{leading}{translate(words)}{trailing}"
