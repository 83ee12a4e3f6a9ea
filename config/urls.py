from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from common.accounts import ObtainExpiringAuthToken
from reports import views as reports_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Issue 17: change one's password; reset a forgotten one by e-mail (Django's views and templates).
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/token/", ObtainExpiringAuthToken.as_view(), name="api-token"),
    path("api/", include("crm.api.urls")),
    path("api/partners/", include("partners.api_urls")),
    path("api/commissions/", include("commissions.api_urls")),
    path("api/settlements/", include("settlements.api_urls")),
    path("partners/", include("partners.urls")),
    path("commissions/", include("commissions.urls")),
    path("settlements/", include("settlements.urls")),
    path("api/reports/", include("reports.api_urls")),
    path("reports/", include("reports.urls")),
    # `/` opens each role's own home (reports); crm's "my day" is part of the rep's home.
    path("", reports_views.home, name="home"),
    path("", include("crm.urls")),
]
# Issue 17: no /media/ route, not even in DEBUG: every stored file is served by a view that checks who
# may download it (common.stored_files.file_response).
