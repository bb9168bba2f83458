from django.urls import include, path

app_name = "assessments"
urlpatterns = [
    # The unit's pages (self-assessment, evidence, submit/confirm) and the
    # organizer's pages (campaigns, progress, assignments) live in two modules.
    path("", include("assessments.urls_unit")),
    path("", include("assessments.urls_campaigns")),
]
