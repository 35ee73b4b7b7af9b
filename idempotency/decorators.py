"""`@idempotent_form` on a view that writes from an HTML form carrying `{% idempotency_field %}`.

The view runs in one transaction with the key's claim: it commits together with what the view
wrote, or not at all. A submission whose key is taken (double click, retry, reload of a POST)
writes nothing and is redirected where the first one went (Post/Redirect/Get). A view that
answers with a redirect (success, or a refusal that wrote nothing) records that address; any
other answer (a form error) frees the key, so the corrected form can be sent again.
"""

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from idempotency.services import FORM_FIELD, DuplicateSubmission, form_key_claim, owner_for


def idempotent_form(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "POST" or not request.POST.get(FORM_FIELD):
            return view(request, *args, **kwargs)
        try:
            with transaction.atomic():
                claim = form_key_claim(owner=owner_for(request), key=request.POST[FORM_FIELD])
                response = view(request, *args, **kwargs)
                if 300 <= response.status_code < 400 and response.has_header("Location"):
                    claim.done(result_url=response["Location"])
                elif claim.key is not None:
                    claim.key.delete()
                return response
        except DuplicateSubmission as duplicate:
            messages.info(request, _("This form was already sent: nothing was done twice."))
            target = duplicate.result_url
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = "/"
            return redirect(target or "/")

    return guarded
