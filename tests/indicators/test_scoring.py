"""The scoring engine: exact examples from the real sets, then properties."""

from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from indicators import scoring
from indicators.scoring import ScoringError, compute_score, validate_rule

# Rules as the reference sets state them (shared/reference/indicator-sets).
MEETING_TIERS = {  # unidentified district 1.1: steering-committee meetings per year
    "tiers": [
        {"min": "4", "points": "20"},
        {"min": "3", "points": "15"},
        {"min": "2", "points": "10"},
        {"min": "1", "points": "5"},
    ]
}
HEAD_LEVELS = {  # Thanh Hóa commune 1.1: who heads the steering committee
    "options": [
        {"key": "a", "label": "Bí thư/Chủ tịch cấp xã", "points": "20"},
        {"key": "b", "label": "Phó Bí thư/Phó Chủ tịch", "points": "10"},
        {"key": "c", "label": "Không có", "points": "0"},
    ]
}
CHAIRS_CHECKLIST = {  # Cao Lãnh 1.2: two yes/no parts of half the maximum each
    "parts": [
        {"key": "a", "label": "Dự đầy đủ các phiên họp CĐS của tỉnh", "points": "5"},
        {"key": "b", "label": "Chủ trì các cuộc họp CĐS của huyện", "points": "5"},
    ]
}
CHAIRED_RATIO = {
    "a": {"label": "Số cuộc họp do Bí thư/Chủ tịch chủ trì"},
    "b": {"label": "Tổng số cuộc họp về CĐS"},
    "if_b_zero": "zero",
}


def score(method, rule, max_points, inputs, general_info=None):
    return compute_score(
        method=method, rule=rule, max_points=max_points, inputs=inputs, general_info=general_info
    )


@pytest.mark.parametrize(
    ("meetings", "expected"),
    [(0, "0.00"), (1, "5.00"), (2, "10.00"), (3, "15.00"), (4, "20.00"), (12, "20.00")],
)
def test_tiers_take_the_highest_threshold_reached(meetings, expected):
    assert score("tiers", MEETING_TIERS, "20", {"value": meetings}) == Decimal(expected)


@pytest.mark.parametrize(("option", "expected"), [("a", "20.00"), ("b", "10.00"), ("c", "0.00")])
def test_levels_give_the_option_points(option, expected):
    assert score("levels", HEAD_LEVELS, "20", {"option": option}) == Decimal(expected)


@pytest.mark.parametrize(
    ("checked", "expected"), [([], "0.00"), (["a"], "5.00"), (["b"], "5.00"), (["a", "b"], "10.00")]
)
def test_checklist_sums_the_parts(checked, expected):
    assert score("checklist", CHAIRS_CHECKLIST, "10", {"checked": checked}) == Decimal(expected)


def test_checklist_counts_a_part_once_and_is_capped_at_max():
    rule = {"parts": [{"key": "a", "points": "8"}, {"key": "b", "points": "8"}]}
    assert score("checklist", rule, "10", {"checked": ["a", "a"]}) == Decimal("8.00")
    assert score("checklist", rule, "10", {"checked": ["a", "b"]}) == Decimal("10.00")


def test_ratio_rounds_half_up_to_two_places():
    assert score("ratio", CHAIRED_RATIO, "20", {"a": 1, "b": 3}) == Decimal("6.67")
    assert score("ratio", CHAIRED_RATIO, "20", {"a": 1, "b": 8}) == Decimal("2.50")
    assert score("ratio", CHAIRED_RATIO, "10", {"a": 1, "b": 16}) == Decimal("0.63")  # 0.625


def test_ratio_is_capped_at_max_when_a_exceeds_b():
    assert score("ratio", CHAIRED_RATIO, "20", {"a": 5, "b": 4}) == Decimal("20.00")


def test_ratio_states_its_score_when_b_is_zero():
    assert score("ratio", CHAIRED_RATIO, "20", {"a": 0, "b": 0}) == Decimal("0.00")
    full = {**CHAIRED_RATIO, "if_b_zero": "full"}
    assert score("ratio", full, "20", {"a": 0, "b": 0}) == Decimal("20.00")


def test_ratio_term_can_come_from_general_information():
    rule = {
        "a": {"label": "Số người dân có tài khoản định danh điện tử"},
        "b": {"label": "Tổng số người dân", "field": "population"},
        "if_b_zero": "zero",
    }
    result = score("ratio", rule, "10", {"a": "2500"}, general_info={"population": 10000})
    assert result == Decimal("2.50")


def test_ratio_with_missing_general_information_is_refused():
    rule = {"a": {"label": "a"}, "b": {"label": "b", "field": "population"}, "if_b_zero": "zero"}
    with pytest.raises(ScoringError, match="population"):
        score("ratio", rule, "10", {"a": "1"}, general_info={})


def test_count_times_points_capped_at_max():
    rule = {"points_per_item": "2.5"}
    assert score("count", rule, "10", {"value": 3}) == Decimal("7.50")
    assert score("count", rule, "10", {"value": 9}) == Decimal("10.00")


def test_count_must_be_whole():
    with pytest.raises(ScoringError):
        score("count", {"points_per_item": "1"}, "10", {"value": "2.5"})


def test_yes_no():
    assert score("yes_no", {}, "15", {"value": True}) == Decimal("15.00")
    assert score("yes_no", {}, "15", {"value": False}) == Decimal("0.00")
    with pytest.raises(ScoringError):
        score("yes_no", {}, "15", {"value": "yes"})


def test_manual_within_bounds():
    assert score("manual", {}, "15", {"value": "12.5"}) == Decimal("12.50")
    with pytest.raises(ScoringError):
        score("manual", {}, "15", {"value": "15.01"})
    with pytest.raises(ScoringError):
        score("manual", {}, "15", {"value": "-1"})


@pytest.mark.parametrize("bad", [None, "", "abc", "NaN", "Infinity", True, "1e999999999999", [1]])
def test_non_numbers_never_score(bad):
    with pytest.raises(ScoringError):
        score("manual", {}, "15", {"value": bad})


def test_float_from_a_spreadsheet_is_read_exactly():
    assert score("manual", {}, "15", {"value": 0.1}) == Decimal("0.10")


@pytest.mark.parametrize(
    ("method", "rule", "fragment"),
    [
        ("levels", {"options": []}, "at least one"),
        ("levels", {"options": [{"key": "a", "points": "30"}]}, "more than the maximum"),
        (
            "levels",
            {"options": [{"key": "a", "points": "1"}, {"key": "a", "points": "2"}]},
            "different",
        ),
        (
            "tiers",
            {"tiers": [{"min": "1", "points": "10"}, {"min": "2", "points": "5"}]},
            "fewer points",
        ),
        (
            "tiers",
            {"tiers": [{"min": "1", "points": "5"}, {"min": "1", "points": "6"}]},
            "same threshold",
        ),
        ("ratio", {"a": {"label": "a"}, "b": {"label": "b"}}, "b = 0"),
        ("ratio", {"b": {"label": "b"}, "if_b_zero": "zero"}, "“a”"),
        ("count", {"points_per_item": "0"}, "more than 0"),
        ("count", {}, "Points per item"),
        ("unknown", {}, "Unknown scoring method"),
    ],
)
def test_unsound_rules_are_refused_with_a_message(method, rule, fragment):
    with translation.override("en"), pytest.raises(ScoringError) as excinfo:
        validate_rule(method, rule, "20")
    assert any(fragment in message for message in excinfo.value.messages)


def test_every_problem_of_a_rule_is_reported_at_once():
    rule = {"options": [{"key": "a", "points": "x"}, {"key": "b", "points": "99"}]}
    with pytest.raises(ScoringError) as excinfo:
        validate_rule("levels", rule, "20")
    assert len(excinfo.value.messages) == 2


def test_messages_are_vietnamese_by_default():
    with pytest.raises(ScoringError) as excinfo:
        score("yes_no", {}, "15", {"value": None})
    assert excinfo.value.messages == ["Hãy chọn Có hoặc Không."]
    with pytest.raises(ScoringError) as excinfo:
        validate_rule("count", {"points_per_item": "0"}, "20")
    assert excinfo.value.messages == ["Điểm mỗi mục phải lớn hơn 0."]


def test_percentage_rounds_half_up():
    assert scoring.percentage(Decimal("1"), Decimal("8"), 2) == Decimal("12.50")
    assert scoring.percentage(Decimal("2"), Decimal("3"), 2) == Decimal("66.67")
    assert scoring.percentage(Decimal("1"), Decimal("200"), 1) == Decimal("0.5")
    assert scoring.percentage(Decimal("5"), Decimal("0"), 2) is None


# --- Properties ------------------------------------------------------------

points = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False)
amounts = st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False)


@st.composite
def rules(draw):
    """Any sound (method, rule, max) triple the engine accepts."""
    maximum = draw(points)
    method = draw(st.sampled_from(sorted(scoring.METHODS)))
    below_max = st.decimals(min_value=0, max_value=maximum, places=2)
    if method == "levels" or method == "checklist":
        n = draw(st.integers(1, 5))
        items = [{"key": f"k{i}", "points": str(draw(below_max))} for i in range(n)]
        rule = {"options" if method == "levels" else "parts": items}
    elif method == "tiers":
        thresholds = sorted(draw(st.sets(amounts, min_size=1, max_size=5)))
        values = sorted(draw(below_max) for _ in thresholds)
        rule = {
            "tiers": [
                {"min": str(t), "points": str(p)} for t, p in zip(thresholds, values, strict=True)
            ]
        }
    elif method == "ratio":
        rule = {
            "a": {"label": "a"},
            "b": {"label": "b"},
            "if_b_zero": draw(st.sampled_from(["full", "zero"])),
        }
    elif method == "count":
        per_item = draw(st.decimals(min_value=Decimal("0.01"), max_value=100, places=2))
        rule = {"points_per_item": str(per_item)}
    else:
        rule = {}
    return method, rule, maximum


@st.composite
def inputs_for(draw, method, rule, maximum):
    if method == "manual":
        return {"value": str(draw(st.decimals(min_value=0, max_value=maximum, places=2)))}
    if method == "yes_no":
        return {"value": draw(st.booleans())}
    if method == "levels":
        return {"option": draw(st.sampled_from([o["key"] for o in rule["options"]]))}
    if method == "checklist":
        keys = [p["key"] for p in rule["parts"]]
        return {"checked": draw(st.lists(st.sampled_from(keys), max_size=len(keys)))}
    if method == "count":
        return {"value": draw(st.integers(0, 10**6))}
    if method == "ratio":
        return {"a": str(draw(amounts)), "b": str(draw(amounts))}
    return {"value": str(draw(amounts))}


@given(data=st.data(), spec=rules())
def test_a_score_is_always_within_zero_and_max(data, spec):
    method, rule, maximum = spec
    validate_rule(method, rule, maximum)
    inputs = data.draw(inputs_for(method, rule, maximum))
    result = score(method, rule, maximum, inputs)
    assert Decimal(0) <= result <= maximum
    assert result == result.quantize(Decimal("0.01"))


@given(
    spec=rules().filter(lambda s: s[0] == "tiers"),
    low=amounts,
    extra=amounts,
)
def test_tiers_never_decrease_when_the_input_grows(spec, low, extra):
    method, rule, maximum = spec
    assert score(method, rule, maximum, {"value": low}) <= score(
        method, rule, maximum, {"value": low + extra}
    )


@given(maximum=points, a=amounts, b=amounts, extra=amounts)
def test_ratio_never_decreases_when_the_numerator_grows(maximum, a, b, extra):
    rule = {**CHAIRED_RATIO}
    assert score("ratio", rule, maximum, {"a": a, "b": b}) <= score(
        "ratio", rule, maximum, {"a": a + extra, "b": b}
    )


@given(maximum=points, count=st.integers(0, 10**4), extra=st.integers(0, 10**4))
def test_count_never_decreases_when_the_count_grows(maximum, count, extra):
    rule = {"points_per_item": "1.5"}
    assert score("count", rule, maximum, {"value": count}) <= score(
        "count", rule, maximum, {"value": count + extra}
    )


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=8),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(max_value=Decimal("-0.01")),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@given(data=st.data(), spec=rules(), value=junk)
def test_invalid_input_never_produces_a_score(data, spec, value):
    method, rule, maximum = spec
    key = {"levels": "option", "checklist": "checked", "ratio": "a"}.get(method, "value")
    inputs = data.draw(inputs_for(method, rule, maximum))
    inputs[key] = value
    try:
        result = score(method, rule, maximum, inputs)
    except ScoringError:
        return
    # Whatever was accepted must be a genuine answer of the method's form.
    if method == "yes_no":
        assert isinstance(value, bool)
    elif method == "levels":
        assert value in [o["key"] for o in rule["options"]]
    elif method == "checklist":
        assert isinstance(value, list)
        assert set(value) <= {p["key"] for p in rule["parts"]}
    else:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
        assert number.is_finite()
        assert number >= 0
    assert Decimal(0) <= result <= maximum


@pytest.mark.parametrize(
    ("method", "rule"),
    [
        ("levels", {"options": [{"key": "a", "label": "Có | Không", "points": "1"}]}),
        ("checklist", {"parts": [{"key": "a\nb", "points": "1"}]}),
        ("ratio", {"a": {"label": "x|y"}, "b": {"label": "b"}, "if_b_zero": "zero"}),
    ],
)
def test_rule_texts_that_cannot_live_in_one_cell_are_refused(method, rule):
    with translation.override("en"), pytest.raises(ScoringError) as excinfo:
        validate_rule(method, rule, "20")
    assert excinfo.value.messages == ["Keys and labels cannot contain “|” or line breaks."]
