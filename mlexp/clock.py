"""Time as MLflow puts it on the wire: integer milliseconds since the epoch, UTC."""
import time


def now_ms() -> int:
    """Current wall-clock time in epoch milliseconds."""
    return time.time_ns() // 1_000_000
