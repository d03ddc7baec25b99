"""Jinja filters for page text: sizes, times, durations."""
from datetime import datetime, timedelta, timezone

from flask import Flask


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


EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def timestamp(ms: int | None) -> str:
    """Epoch milliseconds → 'YYYY-MM-DD HH:MM:SS UTC', or '<ms> ms' outside years 1-9999: the API
    stores any int64 (a client sending microseconds lands in year 10000)."""
    if not ms:
        return ""
    try:
        moment = EPOCH + timedelta(milliseconds=ms)
    except OverflowError:
        return f"{ms} ms"
    return f"{moment.year:04d}-{moment:%m-%d %H:%M:%S} UTC"


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
    app.add_template_filter(timestamp)
    app.add_template_filter(duration)
