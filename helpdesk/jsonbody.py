"""JSON request bodies, read with bounds: size and nesting capped before parsing, and no value
the database cannot store (a NUL character, a lone UTF-16 surrogate, NaN or an infinity).

Python's json module recurses once per nesting level: a body of 100,000 `[` raised
RecursionError, a 500. Every JSON body goes through `parse_json`: DRF's parser
(`SafeJSONParser`, the API's only JSON parser) and the monitoring intake's own reading
(integrations/api/views.py) alike. Bad input is a 400, an oversized body a 413.
"""

import json
import re
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

from helpdesk.errors import DomainError

_STRUCTURE = re.compile(rb'["\\\[\]{}]')
_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonBodyError(DomainError):
    """The body is not JSON we accept (400)."""


class JsonBodyTooLarge(DomainError):
    status_code = 413


def max_depth() -> int:
    return int(getattr(settings, "HELPDESK_JSON_MAX_DEPTH", 32))


def max_bytes() -> int:
    return int(getattr(settings, "HELPDESK_JSON_MAX_BYTES", 1024 * 1024))


def too_deep(body: bytes, limit: int) -> bool:
    """Whether arrays and objects nest deeper than `limit`, found without parsing (brackets in
    strings do not count). Stops at the first level too many."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth, in_string, skip = 0, False, -1
    for match in _STRUCTURE.finditer(body):
        position = match.start()
        if position < skip:
            continue  # the character after a backslash
        char = body[position]
        if in_string:
            if char == 0x5C:  # backslash
                skip = position + 2
            elif char == 0x22:  # closing quote
                in_string = False
        elif char == 0x22:
            in_string = True
        elif char in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif char in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)  # NaN, Infinity, -Infinity are not JSON


def _unstorable(data: Any) -> str | None:
    """The first string (key or value) the database cannot store, walked without recursion."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return _("The body contains a NUL character.")
            if _SURROGATE.search(value):
                return _("The body contains an invalid Unicode character.")
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return None


def parse_json(body: bytes, *, limit_bytes: int | None = None) -> Any:
    """The parsed body, or JsonBodyTooLarge (413) / JsonBodyError (400)."""
    limit_bytes = max_bytes() if limit_bytes is None else limit_bytes
    if len(body) > limit_bytes:
        raise JsonBodyTooLarge(
            _("The body is larger than %(limit)d bytes.") % {"limit": limit_bytes}
        )
    depth = max_depth()
    if too_deep(body, depth):
        raise JsonBodyError(_("The body nests deeper than %(depth)d levels.") % {"depth": depth})
    try:
        data = json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise JsonBodyError(_("The body is not valid JSON.")) from None
    problem = _unstorable(data)
    if problem:
        raise JsonBodyError(problem)
    return data


def read_limited(stream: IO[bytes] | None, limit: int) -> bytes:
    """At most limit + 1 bytes: enough to tell that a body is too large without reading it."""
    if stream is None:
        return b""
    return stream.read(limit + 1) or b""


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "too_large"


class SafeJSONParser(JSONParser):
    """DRF's JSON parser with the bounds above."""

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit = max_bytes()
        try:
            return parse_json(read_limited(stream, limit), limit_bytes=limit)
        except JsonBodyTooLarge as error:
            raise PayloadTooLarge(error.message) from None
        except JsonBodyError as error:
            raise ParseError(error.message) from None
