"""Markdown for user text (model descriptions, .md previews): CommonMark with raw HTML off."""
from functools import cache

from markupsafe import Markup


@cache
def _renderer():
    """Built on first use: importing markdown-it and building its parser took ~50 ms of every
    server start, for pages that may never be opened."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False})


def render_markdown(text: str | None) -> Markup:
    """Safe HTML: raw HTML is escaped and javascript:/data: links are refused by markdown-it."""
    return Markup(_renderer().render(text or ""))
