"""API authentication by hashed token: `Authorization: Token <key>`, looked up by its SHA-256.

Every request reads the token row again (no cache), so a revocation, an expiry, a password
change or a deactivation takes effect on the next request.

The token and its user come from one join, as `select_related("user")` would read them, but
its SQL is built once per process and database (from the models' concrete fields) instead of
compiled by the ORM on every API request.
"""

from typing import Any

from django.db import connections, router
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from accounts.middleware import activate_time_zone
from accounts.models import ApiToken, User, api_token_hash
from accounts.services import api_token_touch
from helpdesk.dbvalues import Convert, from_db
from helpdesk.prepared import prepared_cursor

# database alias -> (SQL, the token's attribute names, the user's attribute names, and per column
# what the ORM would do to its value: helpdesk.dbvalues.from_db)
_queries: dict[str, tuple[str, list[str], list[str], list[Convert]]] = {}


def _token_query(alias: str) -> tuple[str, list[str], list[str], list[Convert]]:
    query = _queries.get(alias)
    if query is None:
        quote = connections[alias].ops.quote_name
        token_fields = ApiToken._meta.concrete_fields
        user_fields = User._meta.concrete_fields
        columns = [f"t.{quote(f.column)}" for f in token_fields]
        columns += [f"u.{quote(f.column)}" for f in user_fields]
        user_fk = ApiToken._meta.get_field("user")
        sql = (
            f"SELECT {', '.join(columns)} FROM {quote(ApiToken._meta.db_table)} t "  # noqa: S608 (model names)
            f"INNER JOIN {quote(User._meta.db_table)} u "
            f"ON u.{quote(User._meta.pk.column)} = t.{quote(user_fk.column)} "  # type: ignore[union-attr]
            f"WHERE t.{quote('key_hash')} = %s LIMIT 1"
        )
        fields = [*token_fields, *user_fields]
        query = (
            sql,
            [f.attname for f in token_fields],
            [f.attname for f in user_fields],
            [from_db(field, connections[alias]) for field in fields],
        )
        _queries[alias] = query
    return query


def token_with_user(key_hash: str) -> ApiToken | None:
    """The token of this hash with its user loaded (token.user costs no query), or None."""
    alias = router.db_for_read(ApiToken)
    sql, token_names, user_names, converters = _token_query(alias)
    connection = connections[alias]
    with prepared_cursor(alias) as cursor:
        cursor.execute(sql, [key_hash])
        found = cursor.fetchone()
    if found is None:
        return None
    row = [convert(value, connection) for convert, value in zip(converters, found, strict=True)]
    split = len(token_names)
    token = ApiToken.from_db(alias, token_names, row[:split])
    user = User.from_db(alias, user_names, row[split:])
    ApiToken._meta.get_field("user").set_cached_value(token, user)  # type: ignore[union-attr]
    return token


class HashedTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate(self, request: Any) -> tuple[Any, ApiToken] | None:
        found = super().authenticate(request)
        if found is not None and not request.META.get("HTTP_ACCEPT_LANGUAGE"):
            # A script sends no Accept-Language: answer in the language its user chose, as the
            # pages do (a request that asks for a language gets it).
            translation.activate(found[0].language)
            request.LANGUAGE_CODE = found[0].language
        return found

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        token = token_with_user(api_token_hash(key))
        now = timezone.now()
        if token is None or not token.user.is_active or token.is_expired(now):
            raise AuthenticationFailed(_("Invalid token."))
        api_token_touch(token=token, now=now)
        # A signed-in page gets its user's time zone from the middleware, which saw this request
        # as anonymous: without it a custom period of the dashboard's API was counted in UTC, its
        # figures differing from the page's and the CSV's for the same dates.
        activate_time_zone(token.user)
        return token.user, token
