from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("dti.site_urls")),
    path("", include("indicators.urls")),
    path("", include("assessments.urls")),
    path("", include("councils.urls")),
    path("", include("rankings.urls")),
]
