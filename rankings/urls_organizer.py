"""URLs of the rankings' organizer (included by rankings.urls, namespace "rankings")."""

from django.urls import path

from . import views_organizer as views

PREFIX = "dot-danh-gia/<int:pk>/xep-hang/"

urlpatterns: list = [
    path(PREFIX, views.campaign_rankings, name="campaign_rankings"),
    path(f"{PREFIX}tinh-lai/", views.campaign_recompute, name="campaign_recompute"),
    path(f"{PREFIX}lan-tinh/", views.campaign_runs, name="campaign_runs"),
    path(
        f"{PREFIX}don-vi/<int:assessment_pk>/",
        views.campaign_scorecard,
        name="campaign_scorecard",
    ),
    path(f"{PREFIX}tong-quan/", views.campaign_dashboard, name="campaign_dashboard"),
    path(f"{PREFIX}cong-bo/", views.campaign_publish, name="campaign_publish"),
]
