from django.contrib import admin
from django.urls import include, path

from api.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("dti.site_urls")),
    path("", include("indicators.urls")),
    path("", include("assessments.urls")),
    path("", include("councils.urls")),
    path("", include("rankings.urls")),
    # The JSON API (schema at api/v1/openapi.json, docs at api/v1/docs) and its token page.
    path("api/v1/", api.urls),
    path("", include("api.urls")),
    path("", include("providers.urls")),
]
