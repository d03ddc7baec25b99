"""Markdown for user text (model descriptions, .md previews): CommonMark with raw HTML off."""
from functools import cache

from markupsafe import Markup

# markdown-it is linear but costs up to ~20 µs a character on input such as `![` or `[`
# repeated (~0.1 s at this size; a 1 MB description took 16 s). Descriptions are limited to
# as many characters (validation.MAX_DESCRIPTION_LENGTH); longer text, a .md preview or a
# description stored before the limit, is parsed only this far.
MAX_MARKDOWN_CHARS = 5000


@cache
def _renderer():
    """Built on first use: importing markdown-it and building its parser took ~50 ms of every
    server start, for pages that may never be opened."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False})


def render_markdown(text: str | None) -> Markup:
    """Safe HTML: raw HTML is escaped and javascript:/data: links are refused by markdown-it.

    Only the first MAX_MARKDOWN_CHARS (up to a line break in their second half, if any) are
    parsed; the rest follows as escaped plain text, so any text renders in bounded time.
    """
    text = text or ""
    if len(text) <= MAX_MARKDOWN_CHARS:
        return Markup(_renderer().render(text))
    cut = text.rfind("\n", MAX_MARKDOWN_CHARS // 2, MAX_MARKDOWN_CHARS) + 1 or MAX_MARKDOWN_CHARS
    return (Markup(_renderer().render(text[:cut]))
            + Markup('<p class="muted">Shown as plain text from here: only the first {:,} '
                     'characters are formatted.</p><pre class="markdown-rest">{}</pre>')
            .format(MAX_MARKDOWN_CHARS, text[cut:]))
