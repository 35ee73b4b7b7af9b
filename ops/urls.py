from django.urls import path

from ops import views

# Answered by ops.middleware.ProbeMiddleware before any other middleware; listed here so they
# resolve by name and work the same should the middleware be left out.
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
]
