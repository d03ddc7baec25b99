"""Markdown rendering stays bounded: the parser sees at most MAX_MARKDOWN_CHARS of any text.

markdown-it costs up to ~20 µs a character on input such as `![` repeated (a 1 MB model
description took 16 s a view), so the bound is asserted on what reaches the parser, not on time.
"""
import pytest

from mlexp.web import markdown
from mlexp.web.markdown import MAX_MARKDOWN_CHARS, render_markdown

PATHOLOGICAL = ["![", "[", "![a", "[![", "![](", "*_", "*a", "[ a_", "`", "&#", "<"]


@pytest.fixture
def parsed(monkeypatch):
    """The texts handed to markdown-it, in order."""
    real, seen = markdown._renderer(), []

    class Spy:
        def render(self, text):
            seen.append(text)
            return real.render(text)

    monkeypatch.setattr(markdown, "_renderer", Spy)
    return seen


@pytest.mark.parametrize("unit", PATHOLOGICAL)
def test_parser_sees_at_most_the_limit_when_text_is_pathological_and_huge(parsed, unit):
    text = unit * (1_000_000 // len(unit))
    html = render_markdown(text)
    assert [len(t) for t in parsed] == [MAX_MARKDOWN_CHARS]
    assert html.endswith(str(markdown.Markup.escape(text[MAX_MARKDOWN_CHARS:])) + "</pre>")


def test_whole_text_is_formatted_when_at_the_limit(parsed):
    text = "*a*" + "b" * (MAX_MARKDOWN_CHARS - 3)
    html = render_markdown(text)
    assert parsed == [text]
    assert html.startswith("<p><em>a</em>bbb") and "markdown-rest" not in html


def test_rest_is_escaped_plain_text_when_over_the_limit(parsed):
    head = "# Title\n" + "x" * (MAX_MARKDOWN_CHARS - 100) + "\n"
    html = render_markdown(head + "*y* <script>alert(1)</script> " * 10)
    assert parsed == [head]
    assert "<h1>Title</h1>" in html and "<em>y</em>" not in html
    assert "only the first 5,000 characters are formatted" in html
    assert html.endswith('<pre class="markdown-rest">'
                         + "*y* &lt;script&gt;alert(1)&lt;/script&gt; " * 10 + "</pre>")


def test_cut_is_at_the_limit_when_no_line_break_is_in_its_second_half(parsed):
    render_markdown("a\n" + "b" * (2 * MAX_MARKDOWN_CHARS))
    assert [len(t) for t in parsed] == [MAX_MARKDOWN_CHARS]


@pytest.mark.parametrize("text, expected", [
    (None, ""), ("", ""), ("**b**", "<p><strong>b</strong></p>\n"),
    ("<b>x</b>", "<p>&lt;b&gt;x&lt;/b&gt;</p>\n"),
])
def test_short_text_renders_as_commonmark_when_under_the_limit(text, expected):
    assert render_markdown(text) == expected
