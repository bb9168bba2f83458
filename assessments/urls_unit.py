"""The unit's pages: self-assessment, evidence, history, submit and the leader's confirmation."""

from django.urls import path

from . import views

urlpatterns = [
    path("danh-gia/<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path(
        "danh-gia/<int:pk>/chi-so/<int:indicator_id>/",
        views.response_save,
        name="response_save",
    ),
    path(
        "danh-gia/<int:pk>/chi-so/<int:indicator_id>/tinh-diem/",
        views.response_preview,
        name="response_preview",
    ),
    path(
        "danh-gia/<int:pk>/chi-so/<int:indicator_id>/lich-su/",
        views.response_history,
        name="response_history",
    ),
    path(
        "danh-gia/<int:pk>/chi-so/<int:indicator_id>/tai-lieu/",
        views.evidence_add,
        name="evidence_add",
    ),
    path(
        "danh-gia/<int:pk>/chi-so/<int:indicator_id>/tai-lieu/them/",
        views.evidence_forms,
        name="evidence_forms",
    ),
    path("danh-gia/<int:pk>/thong-tin-chung/", views.general_info_save, name="general_info_save"),
    path("danh-gia/<int:pk>/gui/", views.assessment_submit, name="assessment_submit"),
    path("danh-gia/<int:pk>/xac-nhan/", views.assessment_review, name="assessment_review"),
    path("tai-lieu/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("tai-lieu/<int:pk>/xoa/", views.evidence_remove, name="evidence_remove"),
]
