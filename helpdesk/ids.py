"""Ids typed by people or sent by clients: ASCII digits that fit a bigint, or nothing.

`str.isdigit()` alone lets through what `int()` refuses ("²") and numbers no database column
holds (SQLite raises OverflowError past 2**63), which would be a 500 instead of a 400 or a 404.

A number a person types (a ticket's number in a search box) may come in the digits of their
keyboard: Arabic-Indic "١٢٣", or full-width "１２３" from an East Asian input method.
`typed_ascii` reads those as the ASCII digits they stand for; ids in addresses and API
parameters are machine-written and stay ASCII only (`parse_id`).
"""

import unicodedata

MAX_ID_DIGITS = 18  # every 18-digit number fits a signed 64-bit integer

# Full-width ASCII ("ＩＮＣ－１２３", "＃１２"): the block U+FF01–U+FF5E mirrors U+0021–U+007E.
_FULL_WIDTH_FIRST, _FULL_WIDTH_LAST, _FULL_WIDTH_SHIFT = 0xFF01, 0xFF5E, 0xFEE0


def parse_id(text: object) -> int | None:
    """'123' → 123; '', '-1', '1.5', '²', '٣' or a 19-digit number → None."""
    value = str(text).strip()
    if value.isascii() and value.isdigit() and len(value) <= MAX_ID_DIGITS:
        return int(value)
    return None


def typed_ascii(text: str) -> str:
    """`text` with every decimal digit of any script as its ASCII digit and full-width ASCII as
    ASCII: '١٢٣' → '123', 'ＩＮＣ－１２' → 'INC-12'. Superscripts and fractions ('²', '½') are
    not decimal digits and stay as they are."""
    return "".join(_typed_char(char) for char in text)


def _typed_char(char: str) -> str:
    if char.isascii():
        return char
    if char.isdecimal():
        return str(unicodedata.decimal(char))
    if _FULL_WIDTH_FIRST <= ord(char) <= _FULL_WIDTH_LAST:
        return chr(ord(char) - _FULL_WIDTH_SHIFT)
    if char == "\u3000":  # the ideographic (full-width) space
        return " "
    return char
