"""The rankings' URLs: the public results (no login) and the organizer's pages."""

from django.urls import include, path

from . import views

app_name = "rankings"
urlpatterns = [
    path("ket-qua/", views.results_index, name="results_index"),
    path("ket-qua/<int:campaign_pk>/", views.results_campaign, name="results_campaign"),
    path(
        "ket-qua/<int:campaign_pk>/don-vi/<int:assessment_pk>/",
        views.results_unit,
        name="results_unit",
    ),
]

# The documents (PDF, Excel) and the organizer's pages have their own modules.
urlpatterns += [
    path("", include("rankings.urls_documents")),
    path("", include("rankings.urls_organizer")),
]
