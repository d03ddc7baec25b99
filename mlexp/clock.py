"""Time as MLflow puts it on the wire: integer milliseconds since the epoch, UTC."""
import time
from datetime import datetime, timedelta, timezone

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def now_ms() -> int:
    """Current wall-clock time in epoch milliseconds."""
    return time.time_ns() // 1_000_000


def format_ms(ms: int | None) -> str:
    """Epoch milliseconds → 'YYYY-MM-DD HH:MM:SS UTC', or '<ms> ms' outside years 1-9999: the API
    stores any int64 (a client sending microseconds lands in year 10000)."""
    if not ms:
        return ""
    try:
        moment = EPOCH + timedelta(milliseconds=ms)
    except OverflowError:
        return f"{ms} ms"
    return f"{moment.year:04d}-{moment:%m-%d %H:%M:%S} UTC"
