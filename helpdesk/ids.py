"""Ids typed by people or sent by clients: ASCII digits that fit a bigint, or nothing.

`str.isdigit()` alone lets through what `int()` refuses ("²") and numbers no database column
holds (SQLite raises OverflowError past 2**63), which would be a 500 instead of a 400 or a 404.
"""

MAX_ID_DIGITS = 18  # every 18-digit number fits a signed 64-bit integer


def parse_id(text: object) -> int | None:
    """'123' → 123; '', '-1', '1.5', '²', '٣' or a 19-digit number → None."""
    value = str(text).strip()
    if value.isascii() and value.isdigit() and len(value) <= MAX_ID_DIGITS:
        return int(value)
    return None
