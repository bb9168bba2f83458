"""The appraisal pages: council, assignments, workbench, rounds, explanation, results."""

from django.urls import path

from . import views

app_name = "councils"
urlpatterns = [
    path("tham-dinh/", views.my_councils, name="my_councils"),
    path("hoi-dong/<int:campaign_pk>/", views.council_manage, name="council_manage"),
    path(
        "hoi-dong/<int:campaign_pk>/phan-cong/", views.assignment_matrix, name="assignment_matrix"
    ),
    path(
        "hoi-dong/<int:campaign_pk>/phan-cong/excel/",
        views.assignment_export,
        name="assignment_export",
    ),
    path(
        "hoi-dong/<int:campaign_pk>/phan-cong/nhap/",
        views.assignment_import,
        name="assignment_import",
    ),
    path("hoi-dong/<int:campaign_pk>/ket-thuc-vong/", views.rounds, name="rounds"),
    path("tham-dinh/<int:campaign_pk>/", views.workbench, name="workbench"),
    path(
        "tham-dinh/<int:campaign_pk>/chi-so/<int:response_pk>/",
        views.appraisal_save,
        name="appraisal_save",
    ),
    path("giai-trinh/<int:assessment_pk>/", views.explanation, name="explanation"),
    path("ket-qua-tham-dinh/<int:assessment_pk>/", views.results, name="results"),
]
