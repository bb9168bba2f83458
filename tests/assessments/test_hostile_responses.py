"""Hostile answers: whatever is typed into an indicator, the page answers with a message.

The ratio whose part exceeds its whole (a > b) is refused with a clear message,
on the page with the typed values kept, and a general-information figure that
would make an answered share exceed its whole is refused too. Arbitrary text,
huge, negative, tiny, NaN and infinite numbers and decimal commas, typed in the
form of any scoring method, end in a saved score within [0, max] or in the
service's own refusal, never in another exception (hypothesis).
"""

import contextlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from assessments import services
from assessments.forms import ResponseForm
from assessments.models import Response
from indicators import scoring
from indicators.models import GeneralInfoField, Indicator
from indicators.services import indicator_set_activate
from tests.factories import IndicatorFactory, IndicatorSetFactory, PillarFactory, open_campaign

HTMX = {"HTTP_HX_REQUEST": "true"}
PART = "Số CBCC được tập huấn"
WHOLE = "Tổng số CBCC"


@pytest.fixture
def client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def every_method(world):
    """A set with one indicator of each method, two ratios (typed b; b from general info)."""
    indicator_set = IndicatorSetFactory(name="Bộ đủ phương pháp")
    pillar = PillarFactory(indicator_set=indicator_set, code="1")
    GeneralInfoField.objects.create(indicator_set=indicator_set, code="so_cbcc", name=WHOLE)
    specs = [
        ("1.1", "manual", {}),
        ("1.2", "yes_no", {}),
        (
            "1.3",
            "levels",
            {"options": [{"key": "a", "points": "10"}, {"key": "b", "points": "5"}]},
        ),
        ("1.4", "tiers", {"tiers": [{"min": "4", "points": "10"}, {"min": "2", "points": "5"}]}),
        ("1.5", "ratio", {"a": {"label": PART}, "b": {"label": WHOLE}, "if_b_zero": "zero"}),
        (
            "1.6",
            "ratio",
            {"a": {"label": PART}, "b": {"label": WHOLE, "field": "so_cbcc"}, "if_b_zero": "full"},
        ),
        ("1.7", "count", {"points_per_item": "2.5"}),
        ("1.8", "checklist", {"parts": [{"key": "a", "points": "6"}, {"key": "b", "points": "6"}]}),
    ]
    for code, method, rule in specs:
        IndicatorFactory(
            pillar=pillar, code=code, method=method, rule=rule, max_points=Decimal("10")
        )
    indicator_set_activate(indicator_set=indicator_set)
    campaign = open_campaign(organizer=world.people.organizer, indicator_set=indicator_set)
    world.campaign = campaign
    world.assessment = campaign.assessments.get(unit=world.a)
    return world


def response_of(world, code) -> Response:
    return Response.objects.select_related("indicator").get(
        assessment=world.assessment, indicator__code=code
    )


def save(world, code, inputs, version=0):
    return services.response_save(
        user=world.people.officer,
        response_id=response_of(world, code).pk,
        expected_version=version,
        inputs=inputs,
    )


# --- a ratio's part larger than its whole ---------------------------------------------------


def test_a_part_larger_than_its_whole_is_refused_not_scored_as_the_maximum(every_method):
    with pytest.raises(ValidationError) as excinfo:
        save(every_method, "1.5", {"a": "120", "b": "100"})
    assert excinfo.value.messages == [
        f"“{PART}” (120) cannot be more than “{WHOLE}” (100): the part cannot exceed the "
        "whole. Check both figures."
    ]
    stored = response_of(every_method, "1.5")
    assert (stored.inputs, stored.self_score, stored.version) == ({}, None, 0)
    assert save(every_method, "1.5", {"a": "100", "b": "100"}).self_score == Decimal("10.00")
    assert save(every_method, "1.5", {"a": "0", "b": "0"}, version=1).self_score == Decimal("0")


def test_with_nothing_to_count_the_part_must_be_zero(every_method):
    with pytest.raises(ValidationError, match="cannot be more than"):
        save(every_method, "1.5", {"a": "3", "b": "0"})


def test_the_page_shows_the_refusal_and_keeps_what_was_typed(client, every_method):
    world = every_method
    client.force_login(world.people.officer)
    response = response_of(world, "1.5")
    args = [world.assessment.pk, response.indicator_id]
    page = client.post(
        reverse("assessments:response_save", args=args),
        {"a": "1200", "b": "1000,5", "note": "theo báo cáo", "expected_version": "0"},
        **HTMX,
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert f"“{PART}” (1200) cannot be more than “{WHOLE}” (1000.5)" in html
    assert 'value="1200"' in html and 'value="1000,5"' in html and "theo báo cáo" in html
    assert response_of(world, "1.5").version == 0
    preview = client.post(
        reverse("assessments:response_preview", args=args),
        {"a": "7", "b": "5", "expected_version": "0"},
        **HTMX,
    )
    assert "cannot be more than" in preview.content.decode()


def test_a_general_information_figure_below_an_answered_part_is_refused(every_method):
    world = every_method
    officer = world.people.officer
    services.assessment_set_general_info(
        assessment=world.assessment, user=officer, values={"so_cbcc": "20"}
    )
    assert save(world, "1.6", {"a": "15"}).self_score == Decimal("7.50")
    with pytest.raises(ValidationError) as excinfo:
        services.assessment_set_general_info(
            assessment=world.assessment, user=officer, values={"so_cbcc": "10"}
        )
    assert excinfo.value.messages == [
        f"1.6: “{PART}” (15) cannot be more than “{WHOLE}” (10): the part cannot exceed the "
        "whole. Check both figures."
    ]
    world.assessment.refresh_from_db()
    assert world.assessment.general_info == {"so_cbcc": "20"}
    assert (response_of(world, "1.6").self_score, response_of(world, "1.6").version) == (
        Decimal("7.50"),
        1,
    )


def test_every_score_of_a_ratio_goes_through_the_same_check():
    """Appraisals (``councils.services``) and the preview score with ``Indicator.score``."""
    indicator = Indicator(
        method="ratio",
        max_points=Decimal("10"),
        rule={"a": {"label": "a"}, "b": {"label": "b"}, "if_b_zero": "zero"},
    )
    with pytest.raises(scoring.PartExceedsWhole):
        indicator.score({"a": "5", "b": "4"})
    assert indicator.score({"a": "2", "b": "4"}) == Decimal("5.00")
    # The engine itself keeps the method's stated cap (DESIGN: min(a/b, 1) × max).
    assert scoring.compute_score(
        method="ratio", rule=indicator.rule, max_points="10", inputs={"a": "5", "b": "4"}
    ) == Decimal("10.00")


# --- anything typed, any method (hypothesis) ---------------------------------------------------

typed = st.one_of(
    st.decimals(min_value=0, max_value=50, places=2).map(lambda d: str(d).replace(".", ",")),
    st.integers(min_value=0, max_value=30).map(str),
    st.text(max_size=20),
    st.sampled_from(
        [
            "NaN",
            "nan",
            "sNaN",
            "Infinity",
            "-Infinity",
            "inf",
            "∞",
            "1e999999999",
            "1e-999999",
            "-0",
            "-5",
            "12,5",
            "1.234,5",
            "1,234.5",
            "1.000",
            "0,000001",
            "99999999999999999999",
            " 7 ",
            "٣",
            "²",
            "1_000",
            "0x10",
            "½",
            "",
        ]
    ),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)


def form_data(method: str, draw) -> dict:
    if method in ("manual", "tiers", "count"):
        return {"value": draw(typed)}
    if method == "ratio":
        return {"a": draw(typed), "b": draw(typed)}
    if method == "yes_no":
        return {"value": draw(st.sampled_from(["yes", "no", "", "maybe", "<script>"]))}
    if method == "levels":
        return {"option": draw(st.sampled_from(["a", "b", "", "z", "' OR 1=1 --"]))}
    return {"checked": draw(st.lists(st.sampled_from(["a", "b", "c", ""]), max_size=4))}


@settings(max_examples=120, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_whatever_is_typed_is_scored_within_the_maximum_or_refused(every_method, data):
    world = every_method
    code = data.draw(st.sampled_from([f"1.{n}" for n in range(1, 9)]))
    if code == "1.6":
        value = data.draw(typed)
        with contextlib.suppress(ValidationError):
            services.assessment_set_general_info(
                assessment=world.assessment, user=world.people.officer, values={"so_cbcc": value}
            )
    response = response_of(world, code)
    fields = form_data(response.indicator.method, data.draw)
    form = ResponseForm(
        {**fields, "expected_version": str(response.version), "note": data.draw(typed)},
        indicator=response.indicator,
    )
    if not form.is_valid():
        assert all(form.errors.values())
        return
    try:
        saved = services.response_save(
            user=world.people.officer,
            response_id=response.pk,
            expected_version=form.cleaned_data["expected_version"],
            inputs=form.inputs(),
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        assert exc.messages and all(isinstance(m, str) and m for m in exc.messages)
        return
    event(f"saved {response.indicator.method}")
    if saved.self_score is not None:
        assert Decimal(0) <= saved.self_score <= response.indicator.max_points
        assert saved.self_score == saved.self_score.quantize(Decimal("0.01"))
