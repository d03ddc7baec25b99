"""Column types and values that tables in several model modules share."""
from sqlalchemy import BigInteger, Integer

# Millisecond timestamps and steps are int64 on the wire: BIGINT on PostgreSQL (its INTEGER is
# 32-bit), plain INTEGER on SQLite (already 64-bit, and the only rowid-friendly spelling).
Int64 = BigInteger().with_variant(Integer(), "sqlite")

ACTIVE = "active"
DELETED = "deleted"


def same_as_creation_time(context) -> int:
    """A new row's last-updated time: its creation time, not a second reading of the clock (the
    two differed by a millisecond now and then; MLflow gives a new entity one time for both)."""
    return context.get_current_parameters()["creation_time"]
