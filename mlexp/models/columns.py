"""Column types and values that tables in several model modules share."""
from sqlalchemy import BigInteger, Integer

# Millisecond timestamps and steps are int64 on the wire: BIGINT on PostgreSQL (its INTEGER is
# 32-bit), plain INTEGER on SQLite (already 64-bit, and the only rowid-friendly spelling).
Int64 = BigInteger().with_variant(Integer(), "sqlite")

ACTIVE = "active"
DELETED = "deleted"
