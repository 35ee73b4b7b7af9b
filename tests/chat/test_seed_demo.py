"""The demo shows one channel of each platform, disabled, at placeholder addresses."""

from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone

from chat.crypto import secret_open
from chat.models import ChatChannel, ChatDelivery, Platform
from sla.sweep import sla_sweep

pytestmark = pytest.mark.django_db


def test_the_demo_has_one_disabled_placeholder_channel_per_platform():
    call_command("seed_demo", tickets=12, stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())  # again: nothing added
    sla_sweep(now=timezone.now())

    channels = list(ChatChannel.objects.order_by("platform"))
    assert sorted(c.platform for c in channels) == sorted(Platform.values)
    for channel in channels:
        assert not channel.is_enabled and "placeholder" in channel.name
        address = channel.homeserver or secret_open(channel.secret_encrypted)
        assert urlsplit(address).hostname.endswith(".invalid")  # RFC 2606: never resolves
    assert ChatDelivery.objects.count() == 0
