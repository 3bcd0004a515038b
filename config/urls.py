from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.utils.csp import CSP
from django.utils.functional import lazy
from django.views.decorators.csp import csp_override
from django.views.generic import RedirectView
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from config import views
from governance.forms import ThrottledAdminAuthenticationForm, ThrottledAuthenticationForm

# The admin's own sign-in page is throttled like /login/ (governance.throttle).
admin.site.login_form = ThrottledAdminAuthenticationForm

# Redoc (styled-components) writes <style> elements as its bundle loads, before any nonce
# option is read, so this page, and only this one, allows inline styles (never inline
# scripts); it shows nothing but our own OpenAPI schema. Its search runs in a blob: worker.
# (Its sidebar's "powered by" logo from Redocly's CDN stays blocked: no outside origin.)
REDOC_CSP = {
    **settings.SECURE_CSP,
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "worker-src": [CSP.SELF, "blob:"],
}

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on their own; the collected (hashed) file is resolved per
    # request.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("favicon.ico")), name="favicon"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=ThrottledAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("catalog.urls")),
    path("metrics/", include("metrics_dictionary.urls")),
    path("lineage/", include("lineage.urls")),
    path("governance/", include("governance.urls")),
    path("api/v1/", include("catalog.api.urls")),
    path("api/v1/", include("lineage.api.urls")),
    path("api/v1/", include("governance.api.urls")),
    path("api/v1/", include("metrics_dictionary.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's init script from a URL, not inline
    # (Content-Security-Policy).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path(
        "api/redoc/",
        csp_override(REDOC_CSP)(SpectacularRedocView.as_view(url_name="api-schema")),
        name="api-redoc",
    ),
]
