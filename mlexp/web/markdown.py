"""Markdown for user text (model descriptions, .md previews): CommonMark with raw HTML off."""
from markdown_it import MarkdownIt
from markupsafe import Markup

_RENDERER = MarkdownIt("commonmark", {"html": False, "linkify": False})


def render_markdown(text: str | None) -> Markup:
    """Safe HTML: raw HTML is escaped and javascript:/data: links are refused by markdown-it."""
    return Markup(_RENDERER.render(text or ""))
