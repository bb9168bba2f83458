"""The one-cell text form of scoring rules: examples, errors and a property-based round trip."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators import scoring
from indicators.rule_text import rule_from_text, rule_to_text
from indicators.scoring import ScoringError

pytestmark = pytest.mark.usefixtures("english")

LEVELS = {
    "options": [
        {"key": "a", "label": "Bí thư/Chủ tịch", "points": "20"},
        {"key": "b", "label": "Phó Bí thư/Phó Chủ tịch", "points": "10"},
        {"key": "c", "label": "Không có", "points": "0"},
    ]
}


@pytest.mark.parametrize(
    ("method", "text", "rule"),
    [
        ("manual", "", {}),
        ("yes_no", "  ", {}),
        (
            "tiers",
            "4 → 20; 3 → 15; 2 → 10; 1 → 5",
            {
                "tiers": [
                    {"min": "4", "points": "20"},
                    {"min": "3", "points": "15"},
                    {"min": "2", "points": "10"},
                    {"min": "1", "points": "5"},
                ]
            },
        ),
        (
            "tiers",
            ">=4: 20\n≥ 3 : 15 điểm\n2=10;1 -> 7,5",
            {
                "tiers": [
                    {"min": "4", "points": "20"},
                    {"min": "3", "points": "15"},
                    {"min": "2", "points": "10"},
                    {"min": "1", "points": "7.5"},
                ]
            },
        ),
        (
            "levels",
            "a: Bí thư/Chủ tịch = 20 | b: Phó Bí thư/Phó Chủ tịch = 10 | c: Không có = 0",
            LEVELS,
        ),
        (
            "checklist",
            "a: Dự đủ phiên họp; có biên bản = 2,5\nb: Chủ trì = 7.50 điểm",
            {
                "parts": [
                    {"key": "a", "label": "Dự đủ phiên họp; có biên bản", "points": "2.5"},
                    {"key": "b", "label": "Chủ trì", "points": "7.50"},
                ]
            },
        ),
        ("count", "5", {"points_per_item": "5"}),
        ("count", "2,5 điểm/mục", {"points_per_item": "2.5", "unit": "mục"}),
        (
            "ratio",
            "a: Số cuộc họp do Bí thư chủ trì | b: @population Tổng số dân | b=0: zero",
            {
                "a": {"label": "Số cuộc họp do Bí thư chủ trì"},
                "b": {"field": "population", "label": "Tổng số dân"},
                "if_b_zero": "zero",
            },
        ),
        (
            "ratio",
            "B = 0: tối đa | b: @so_cbcc | A: Số CBCC dùng chữ ký số",
            {
                "a": {"label": "Số CBCC dùng chữ ký số"},
                "b": {"field": "so_cbcc"},
                "if_b_zero": "full",
            },
        ),
    ],
)
def test_reads_the_documented_syntax(method, text, rule):
    assert rule_from_text(method, text) == rule


@pytest.mark.parametrize(
    ("method", "rule", "text"),
    [
        ("manual", {}, ""),
        (
            "tiers",
            {"tiers": [{"min": "4", "points": "20"}, {"min": "0.5", "points": "2.5"}]},
            "4 → 20; 0,5 → 2,5",
        ),
        (
            "levels",
            LEVELS,
            "a: Bí thư/Chủ tịch = 20 | b: Phó Bí thư/Phó Chủ tịch = 10 | c: Không có = 0",
        ),
        ("count", {"points_per_item": "5", "unit": "mục"}, "5 điểm/mục"),
        ("count", {"points_per_item": 1}, "1"),
        (
            "ratio",
            {"a": {"label": "Số hộ"}, "b": {"field": "households"}, "if_b_zero": "full"},
            "a: Số hộ | b: @households | b=0: tối đa",
        ),
    ],
)
def test_writes_the_documented_syntax(method, rule, text):
    assert rule_to_text(method, rule) == text


@pytest.mark.parametrize(
    ("method", "text", "messages"),
    [
        ("manual", "20", ["This scoring method takes no rule; leave the rule empty."]),
        ("photo", "", ["Unknown scoring method “photo”."]),
        (
            "count",
            "",
            ["This scoring method needs a rule, for example: 5 điểm/mục"],
        ),
        (
            "tiers",
            "4 → 20; ba → 15; 2 → mười",
            [
                "Cannot read “ba → 15”; write it like this: 4 → 20; 3 → 15; 2 → 10; 1 → 5",
                "Cannot read “2 → mười”; write it like this: 4 → 20; 3 → 15; 2 → 10; 1 → 5",
            ],
        ),
        (
            "ratio",
            "a: x | a: y | b: @dân số | b=0: half | c: z",
            [
                "“a” is given twice.",
                "“@dân số” is not a general-information code (letters, digits, - and _).",
                "After “b=0:” write “tối đa” (the maximum) or “0”, not “half”.",
                "Cannot read “c: z”; write it like this: "
                "a: Số cuộc họp do Bí thư chủ trì | b: @tong_so_nguoi_dan Tổng số dân | b=0: 0",
            ],
        ),
    ],
)
def test_unreadable_text_lists_every_problem(method, text, messages):
    with pytest.raises(ScoringError) as caught:
        rule_from_text(method, text)
    assert caught.value.messages == messages


def test_a_readable_rule_may_still_be_unsound_for_the_indicator():
    # Syntax is rule_text's job, soundness validate_rule's: it alone knows the maximum.
    rule = rule_from_text("levels", "a: Đạt = 30 | b: Không đạt = 0")
    with pytest.raises(ScoringError):
        scoring.validate_rule("levels", rule, Decimal("20"))


# --- the round trip, over every canonical rule ------------------------------------------------

numbers = (
    st.integers(0, 3)
    .flatmap(lambda places: st.decimals(min_value=0, max_value=99999, places=places))
    .map(lambda d: format(d, "f"))
)
words = st.text(
    alphabet=st.characters(categories=["L", "N"]) | st.sampled_from(" /;,.()-=%:"),
    max_size=40,
).map(str.strip)
keys = st.text(
    alphabet=st.characters(categories=["L", "N"]) | st.sampled_from("-_.=/"), min_size=1, max_size=5
)
field_codes = st.from_regex(r"[-a-zA-Z0-9_]{1,20}", fullmatch=True)


def keyed(name):
    return st.lists(
        st.fixed_dictionaries({"key": keys, "label": words, "points": numbers}),
        min_size=1,
        max_size=6,
        unique_by=lambda item: item["key"],
    ).map(lambda items: {name: items})


def with_optional(base, name, values):
    return st.tuples(base, st.none() | values).map(
        lambda pair: pair[0] if pair[1] is None else {**pair[0], name: pair[1]}
    )


units = words.filter(lambda w: w and ";" not in w)
tiers = with_optional(
    st.lists(
        st.fixed_dictionaries({"min": numbers, "points": numbers}), min_size=1, max_size=6
    ).map(lambda items: {"tiers": items}),
    "unit",
    units,
)
count = with_optional(st.fixed_dictionaries({"points_per_item": numbers}), "unit", units)
term = st.one_of(
    st.fixed_dictionaries({"label": words}),
    st.fixed_dictionaries({"field": field_codes}),
    st.fixed_dictionaries({"field": field_codes, "label": words.filter(bool)}),
)
ratio = st.fixed_dictionaries(
    {}, optional={"a": term, "b": term, "if_b_zero": st.sampled_from(["full", "zero"])}
)
canonical_rules = st.one_of(
    st.tuples(st.just("manual"), st.just({})),
    st.tuples(st.just("yes_no"), st.just({})),
    st.tuples(st.just("levels"), keyed("options")),
    st.tuples(st.just("checklist"), keyed("parts")),
    st.tuples(st.just("tiers"), tiers),
    st.tuples(st.just("count"), count),
    st.tuples(st.just("ratio"), ratio.filter(bool)),
)


@given(canonical_rules)
def test_every_rule_survives_text_and_back(method_and_rule):
    method, rule = method_and_rule
    assert rule_from_text(method, rule_to_text(method, rule)) == rule
