"""The organizer's pages: campaigns (đợt đánh giá), their calendar, units and assignments."""

from django.urls import path

from . import views_audit
from . import views_campaigns as views

urlpatterns = [
    path("dot-danh-gia/", views.campaign_list, name="campaign_list"),
    path("dot-danh-gia/tao-moi/", views.campaign_create, name="campaign_create"),
    path("dot-danh-gia/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("dot-danh-gia/<int:pk>/lich/", views.campaign_calendar, name="campaign_calendar"),
    path("dot-danh-gia/<int:pk>/don-vi/", views.campaign_units, name="campaign_units"),
    path(
        "dot-danh-gia/<int:pk>/phan-cong-phong-ban/",
        views.campaign_departments,
        name="campaign_departments",
    ),
    path(
        "dot-danh-gia/<int:pk>/nhat-ky/", views_audit.campaign_audit_log, name="campaign_audit_log"
    ),
    path(
        "dot-danh-gia/<int:pk>/nhat-ky/tai-ve.xlsx",
        views_audit.campaign_audit_export,
        {"fmt": "xlsx"},
        name="campaign_audit_xlsx",
    ),
    path(
        "dot-danh-gia/<int:pk>/nhat-ky/tai-ve.csv",
        views_audit.campaign_audit_export,
        {"fmt": "csv"},
        name="campaign_audit_csv",
    ),
    path(
        "dot-danh-gia/<int:pk>/danh-gia/<int:assessment_pk>/mo-lai/",
        views.assessment_reopen,
        name="campaign_assessment_reopen",
    ),
]
