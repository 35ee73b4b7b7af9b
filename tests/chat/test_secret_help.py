"""The channel form's secret field (issue 22, gap 3): a new channel needs its secret and is not
told it can leave it blank; a change may leave it blank to keep the stored one, and says so."""

import pytest
from django.utils import translation

from chat.forms import ChatChannelForm
from chat.models import ChatChannel, ChatEvent, Platform
from escalation.models import Tier

pytestmark = pytest.mark.django_db

KEEP = "leave blank to keep"


@pytest.fixture
def web(client, manager):
    client.force_login(manager)
    return client


def _form(groups, **overrides):
    return {
        "name": "L1 Slack",
        "support_group": groups[Tier.L1].pk,
        "platform": Platform.SLACK,
        "secret": "",
        "events": [ChatEvent.HIGH_PRIORITY],
        "language": "en",
        "is_enabled": "on",
        **overrides,
    }


def test_the_new_channel_page_does_not_offer_to_keep_a_secret(web):
    page = web.get("/chat/new/").content.decode()
    assert "Slack and Teams: the webhook URL." in page
    assert "Stored encrypted." in page
    assert KEEP not in page


def test_the_edit_page_offers_to_keep_the_stored_secret(web, make_channel):
    channel = make_channel(Platform.SLACK)
    page = web.get(f"/chat/{channel.pk}/").content.decode()
    assert "Slack and Teams: the webhook URL." in page
    assert f"({channel.secret_hint}); leave blank to keep it." in page


def test_a_new_channel_without_its_secret_is_a_form_error(web, groups):
    response = web.post("/chat/new/", _form(groups))
    assert response.status_code == 400
    assert response.context["form"].errors["secret"] == [
        "Enter the webhook URL or the access token."
    ]
    assert 'role="alert"' in response.content.decode() or "errorlist" in response.content.decode()
    assert not ChatChannel.objects.exists()


def test_the_texts_in_spanish(groups):
    with translation.override("es"):
        new = ChatChannelForm(data=_form(groups))
        assert not new.is_valid()
        assert new.errors["secret"] == ["Introduzca la URL del webhook o el token de acceso."]
        assert str(new.fields["secret"].help_text) == (
            "Slack y Teams: la URL del webhook. Matrix: el token de acceso de la cuenta del bot. "
            "Se guarda cifrado."
        )
        edit = ChatChannelForm(editing=True, secret_hint="••••WXYZ")
        assert "déjelo en blanco para conservarlo" in str(edit.fields["secret"].help_text)
        blank = ChatChannelForm(editing=True)
        assert "déjelo en blanco para conservar el actual" in str(blank.fields["secret"].help_text)


def test_an_edit_may_leave_the_secret_blank(groups):
    assert ChatChannelForm(data=_form(groups), editing=True).is_valid()


def test_the_admin_add_form_does_not_offer_to_keep_a_secret(client, manager):
    manager.is_staff = manager.is_superuser = True
    manager.save()
    client.force_login(manager)
    page = client.get("/admin/chat/chatchannel/add/").content.decode()
    assert "Stored encrypted." in page and KEEP not in page
