import factory
from django.utils import timezone

from accounts.models import Organisation, Role, User
from escalation.models import SupportGroup, Tier
from tickets.models import Category, Comment, Kind, Level, Ticket


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    display_name = factory.LazyAttribute(lambda u: u.username.title())
    role = Role.REQUESTER
    password = factory.django.Password("secret-pass-123")


class AgentFactory(UserFactory):
    role = Role.AGENT

    @factory.post_generation
    def tier(self, create: bool, extracted: int | None, **kwargs: object) -> None:
        if not create:
            return
        tier = extracted or Tier.L1
        group, _ = SupportGroup.objects.get_or_create(
            name=f"Tier {tier} team", defaults={"tier": tier}
        )
        group.members.add(self)


class SupportGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportGroup

    name = factory.Sequence(lambda n: f"Group {n}")
    tier = Tier.L1


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    name_es = factory.Sequence(lambda n: f"Categoría {n}")


class TicketFactory(factory.django.DjangoModelFactory):
    """A new ticket written directly; use the services to move it through the lifecycle."""

    class Meta:
        model = Ticket

    kind = Kind.INCIDENT
    title = factory.Sequence(lambda n: f"Something is broken {n}")
    description = "It does not work."
    requester = factory.SubFactory(UserFactory)
    urgency = Level.MEDIUM
    created_at = factory.LazyFunction(timezone.now)


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    ticket = factory.SubFactory(TicketFactory)
    author = factory.SubFactory(UserFactory)
    body = "A message."
