"""Jinja filters for page text: sizes, times, durations."""
from flask import Flask

from mlexp.clock import format_ms


def filesize(num_bytes: int | None) -> str:
    """1536 → '1.5 KB'; decimal units, as file browsers show them."""
    if num_bytes is None:
        return ""
    value = float(num_bytes)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def duration(ms: int | None) -> str:
    """Milliseconds → '1h 2m', '3m 4s', '5.2s'."""
    if ms is None or ms < 0:
        return ""
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}m"


def register_filters(app: Flask) -> None:
    app.add_template_filter(filesize)
    app.add_template_filter(format_ms, "timestamp")
    app.add_template_filter(duration)
