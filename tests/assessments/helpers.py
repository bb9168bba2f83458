"""Small helpers of the assessments tests."""

from datetime import date
from decimal import Decimal

from assessments.models import Assessment, AssessmentTransition, Evidence, Response


def fresh(assessment: Assessment) -> Assessment:
    """Read the assessment again (its state is protected, so re-fetch rather than refresh)."""
    return Assessment.objects.get(pk=assessment.pk)


def complete(assessment: Assessment, user) -> None:
    """Answer every indicator and attach the mandatory evidence, directly (set-up only)."""
    Response.objects.filter(assessment=assessment).update(
        inputs={"value": "1"}, self_score=Decimal("1.00"), version=1
    )
    for response in Response.objects.filter(
        assessment=assessment, indicator__evidence_mandatory=True
    ):
        Evidence.objects.create(
            response=response,
            kind="citation",
            citation_number="12/QĐ-UBND",
            citation_date=date(2024, 3, 1),
            citation_issuer="UBND xã",
            uploaded_by=user,
        )


def log_count() -> int:
    return AssessmentTransition.objects.count()
