from csp.decorators import csp_update
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.api.views import (
    ApiTokenDetailView,
    ApiTokenListView,
    MeView,
    PasswordView,
    TokenView,
)

api_urlpatterns: list[URLPattern | URLResolver] = [
    # The account's own routes first: every client asks for them, and each include above them
    # is one more resolver tried (GET /api/me/ tried 118 patterns).
    path("me/", MeView.as_view(), name="api-me"),
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/tokens/", ApiTokenListView.as_view(), name="api-tokens"),
    path("auth/password/", PasswordView.as_view(), name="api-password"),
    path("auth/tokens/<int:pk>/", ApiTokenDetailView.as_view(), name="api-token-detail"),
    path("", include("tickets.api.urls")),
    path("", include("escalation.api.urls")),
    path("integrations/", include("integrations.api.urls")),
    path("", include("breaches.api.urls")),
    path("", include("incidents.api.urls")),
    path("sla/", include("sla.api.urls")),
    path("ola/", include("ola.api.urls")),
    path("", include("kb.api.urls")),
    path("reports/", include("reports.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("chat.api.urls")),
    path("", include("savedviews.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file (no inline script); Swagger UI still
    # needs inline styles, so this one page relaxes style-src.
    path(
        "docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
]

handler400 = "helpdesk.api.bad_request"
handler404 = "helpdesk.api.not_found"
handler500 = "helpdesk.middleware.server_error"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("ops.urls")),  # /healthz, /readyz, /metrics (see ops/middleware.py)
    path("admin/", admin.site.urls),
    path("api/", include(api_urlpatterns)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("escalation/", include("escalation.urls")),
    path("", include("breaches.urls")),
    path("notifications/", include("notifications.urls")),
    path("reports/", include("reports.urls")),
    path("sla/", include("sla.urls")),  # the breach forecast
    path("", include("incidents.urls")),
    path("kb/", include("kb.urls")),
    path("csat/", include("csat.urls")),
    path("chat/", include("chat.urls")),
    path("", include("savedviews.urls")),  # /console/views/…
    path("", include("tickets.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
