from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from . import views
from .accounts.forms import AdminLoginForm, LoginForm
from .api import views as api_views

admin.site.site_header = _("q3helpdesk administration")
admin.site.site_title = _("q3helpdesk")
admin.site.index_title = _("Tariffs, modules, customers and company data")
# The demo password is refused on the admin's login page too (see accounts/forms.py).
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    # Browsers ask for /favicon.ico on pages without an icon link (the admin).
    path(
        "favicon.ico",
        views.FaviconView.as_view(),
        name="favicon",
    ),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=LoginForm
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include("q3helpdesk.accounts.urls")),
    path("billing/", include("billing.urls")),
    path("", include("customers.urls")),
    path("", include("cases.urls")),
    path("api/v1/", include("q3helpdesk.api.urls")),
    path("api/schema/", api_views.schema, name="api_schema"),
    path("api/docs/", api_views.docs, name="api_docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
