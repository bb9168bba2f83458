"""URLs of the rankings' documents (included by rankings.urls, namespace "rankings").

Public like the result pages, and like them each takes ``?phien-ban=N`` for an
older published version.
"""

from django.urls import path

from . import views_documents

urlpatterns = [
    path(
        "ket-qua/<int:campaign_pk>/phu-luc.pdf",
        views_documents.results_appendix_pdf,
        name="results_appendix_pdf",
    ),
    path(
        "ket-qua/<int:campaign_pk>/xep-hang.xlsx",
        views_documents.results_workbook,
        name="results_workbook",
    ),
    path(
        "ket-qua/<int:campaign_pk>/don-vi/<int:assessment_pk>.pdf",
        views_documents.results_unit_pdf,
        name="results_unit_pdf",
    ),
]
