"""Not a password rule: the hook that revokes API tokens (and tells the holder) whenever a
password changes.

Django calls `password_changed()` of every entry of AUTH_PASSWORD_VALIDATORS from
`AbstractBaseUser.save()` after `set_password()`, whatever the path: the password change page,
the reset link, the admin's password form, `manage.py changepassword`, the API. It does not call
it when it merely re-hashes a password on sign-in (a hasher upgrade), which must not revoke
anything.
"""

from typing import Any

from django.utils.translation import gettext as _


class PasswordChangeHook:
    def validate(self, password: str, user: Any = None) -> None:
        return None

    def password_changed(self, password: str, user: Any = None) -> None:
        if user is None or user.pk is None:
            return
        from accounts import services

        services.password_changed(user=user)

    def get_help_text(self) -> str:
        return str(_("A new password revokes every API token of the account."))
