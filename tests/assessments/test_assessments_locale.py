"""Refusals read in Vietnamese, the default language (tests/test_i18n.py checks the catalogue)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from assessments import services
from assessments.models import AssessmentState, PhaseKind
from tests.factories import force_state, set_window


@pytest.fixture(autouse=True)
def english():
    """Undo the app conftest's English: here the default language, Vietnamese, is checked."""
    yield


def test_refusals_read_in_vietnamese(world):
    assert translation.get_language() == "vi"
    force_state(world.assessment, AssessmentState.SELF_ASSESSED)
    with pytest.raises(PermissionDenied) as excinfo:
        services.assessment_confirm(assessment=world.assessment, user=world.people.officer)
    assert str(excinfo.value) == ("Chỉ lãnh đạo đơn vị mới được xác nhận kết quả tự đánh giá.")

    force_state(world.assessment, AssessmentState.OPEN)
    phase = set_window(world.campaign, PhaseKind.SELF_ASSESSMENT, "closed")
    with pytest.raises(ValidationError) as excinfo:
        services.assessment_submit(assessment=world.assessment, user=world.people.officer)
    closed = timezone.localtime(phase.closes_at).strftime("%d/%m/%Y %H:%M")
    assert excinfo.value.messages == [
        f"Giai đoạn tự đánh giá đã kết thúc lúc {closed}.",
        "Các chỉ số chưa nhập: 1.1, 1.2, 2.1, 2.2.",
        "Các chỉ số còn thiếu tài liệu kiểm chứng bắt buộc: 1.1.",
    ]

    force_state(world.assessment, AssessmentState.CONFIRMED)
    with pytest.raises(ValidationError) as excinfo:
        services.assessment_confirm(assessment=world.assessment, user=world.people.leader)
    assert excinfo.value.messages == [
        "Không thể thực hiện “Xác nhận số liệu”: kết quả đánh giá đang ở trạng thái “Đã xác nhận”."
    ]
