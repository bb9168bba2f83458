"""The data providers' pages and the data requests."""

from django.urls import path

from . import views_figures, views_organizer, views_requests

app_name = "providers"
urlpatterns = [
    # --- data requests: a council member asks an agency, the agency answers
    path("yeu-cau-so-lieu/", views_requests.request_inbox, name="request_inbox"),
    path("yeu-cau-so-lieu/<int:pk>/", views_requests.request_detail, name="request_detail"),
    path(
        "yeu-cau-so-lieu/tep/<int:pk>/",
        views_requests.request_file_download,
        name="request_file_download",
    ),
    path(
        "yeu-cau-so-lieu/chi-so/<int:response_pk>/",
        views_requests.request_ask,
        name="request_ask",
    ),
    path(
        "yeu-cau-so-lieu/dot/<int:campaign_pk>/",
        views_requests.member_requests,
        name="member_requests",
    ),
    # --- end of data requests
    # --- providers' figures: the organizer names the providers, they send their figures
    path(
        "dot-danh-gia/<int:campaign_pk>/nguon-so-lieu/",
        views_organizer.campaign_providers,
        name="campaign_providers",
    ),
    path("cung-cap-so-lieu/", views_figures.my_campaigns, name="my_campaigns"),
    path("cung-cap-so-lieu/<int:campaign_pk>/", views_figures.figures, name="figures"),
    path(
        "cung-cap-so-lieu/<int:campaign_pk>/gui/<int:assignment_pk>/<int:assessment_pk>/",
        views_figures.figure_save,
        name="figure_save",
    ),
    path(
        "cung-cap-so-lieu/<int:campaign_pk>/mau.xlsx",
        views_figures.sheet_template,
        name="sheet_template",
    ),
    path(
        "cung-cap-so-lieu/<int:campaign_pk>/nhap/",
        views_figures.sheet_upload,
        name="sheet_upload",
    ),
    # --- end of providers' figures
]
