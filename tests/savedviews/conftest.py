import pytest
from django.core.cache import cache
from django.utils import translation

from escalation.models import SupportGroup, Tier
from tests.factories import AgentFactory


@pytest.fixture(autouse=True)
def _default_language():
    # A request of a Spanish agent leaves Spanish active in the thread (accounts.middleware):
    # messages checked outside a request are the default language's, before and after.
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()  # the views' counts are cached for a few seconds
    yield
    cache.clear()


@pytest.fixture
def teammate():
    """Another agent of agent_l1's group ("Tier 1 team")."""
    return AgentFactory(username="teammate", tier=Tier.L1)


@pytest.fixture
def l1_group(agent_l1) -> SupportGroup:
    return SupportGroup.objects.get(name="Tier 1 team")
