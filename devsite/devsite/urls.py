"""Devsite URLs: the admin, login, eMentor's plugin URLs (as the LMS adds them) and the XBlock workbench."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path
from edx_django_utils.plugins import get_plugin_url_patterns
from workbench import urls as workbench_urls

from .settings.base import PROJECT_TYPE

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
urlpatterns.extend(get_plugin_url_patterns(PROJECT_TYPE))
# Last: the workbench owns "/" (its scenario list) and the XBlock handler URLs; its own admin is ours above.
urlpatterns.extend(p for p in workbench_urls.urlpatterns if getattr(p, "namespace", None) != "admin")
