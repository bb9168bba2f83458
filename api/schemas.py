"""The shapes of the API's requests and answers; the OpenAPI schema is generated from them.

Decimals (points, percentages) are JSON strings, exact as computed
("87.50"), never floats.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.conf import settings
from ninja import Field, Schema
from pydantic import StrictInt, StringConstraints

# --- errors ----------------------------------------------------------------------------


class Error(Schema):
    detail: str = Field(description="What went wrong, in the site's language (Vietnamese).")


class FieldError(Schema):
    loc: list[str | int] = Field(description="Where in the request: body, query, header, path.")
    msg: str


class InvalidRequest(Schema):
    detail: str
    errors: list[FieldError]


# --- shared -----------------------------------------------------------------------------


class UnitOut(Schema):
    id: int
    code: str = Field(description="The official code of the unit; empty if not recorded.")
    name: str


# --- data providers ---------------------------------------------------------------------

FigureKind = Literal["indicator", "field"]


class ProviderAssignmentOut(Schema):
    id: int
    kind: FigureKind = Field(description="An indicator's raw figures, or a general-info field.")
    code: str
    name: str
    method: str | None = Field(
        description="The indicator's scoring method (ratio, manual, tiers, count, yes_no, "
        "levels, checklist); null for a general-information field."
    )
    inputs: list[str] = Field(
        description="For an indicator, the keys of the value to send (a ratio: a and b, "
        "except a term taken from the unit's general information); empty for a field."
    )
    units: int = Field(description="Units whose figure the agency owes.")
    missing: int = Field(description="Of those, units whose figure has not been sent yet.")


class ProviderCampaignOut(Schema):
    id: int
    name: str
    year: int
    organizing_unit: UnitOut
    assignments: list[ProviderAssignmentOut]


class FigureRef(Schema):
    kind: FigureKind
    code: str
    name: str


class OwedFigureOut(Schema):
    unit: UnitOut
    figure: FigureRef
    status: Literal["missing", "sent"]
    value: Any = Field(None, description="The figure as stored when sent; null while missing.")
    channel: str | None = Field(description="form, sheet or api; null while missing.")
    provided_at: datetime | None
    provided_by: str | None
    prefilled: bool | None = Field(
        description="Whether the figure pre-filled the unit's input (false: the unit had "
        "typed its own or could no longer edit); null while missing."
    )


Code = Annotated[str, StringConstraints(max_length=50)]


class FigureIn(Schema):
    # Strict: a string stays the official code it is (a long run of digits is not an id).
    unit: StrictInt | Code = Field(description="The unit's id, or its official code.")
    indicator: Code | None = Field(
        None, description="The indicator's code (3.2); give this or field, not both."
    )
    field: Code | None = Field(None, description="The general-information field's code.")
    value: Any = Field(
        None,
        description="An indicator's raw inputs as the scoring engine takes them: a ratio "
        '{"a": 12, "b": 40}; manual, tiers, count a number ("4" or 4); yes/no true or false; '
        "levels the option's key; checklist the list of parts met. A field: its value.",
    )


class FiguresIn(Schema):
    rows: list[FigureIn] = Field(
        min_length=1,
        max_length=settings.API_MAX_ROWS,
        description=f"The figures, at most {settings.API_MAX_ROWS} rows; send more in several "
        "requests, each under its own Idempotency-Key.",
    )


class RowOut(Schema):
    index: int = Field(description="The row's position in the request, from 0.")
    unit: str
    unit_name: str
    figure: str
    status: Literal["created", "updated", "unchanged", "error"]
    prefilled: bool
    messages: list[str]


class FiguresOut(Schema):
    campaign: int
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: int
    results: list[RowOut]


# --- published results --------------------------------------------------------------------

RankingKindName = Literal["dti", "cqs", "kts", "xhs"]


class PublicationOut(Schema):
    version: int
    decision_number: str
    decision_date: date
    published_at: datetime
    correction_reason: str = Field(description="Empty for the first version.")


class IndicatorSetOut(Schema):
    id: int
    name: str
    decimal_places: int = Field(description="Decimals of every published percentage.")


class PublishedCampaignOut(Schema):
    id: int
    name: str
    year: int
    organizing_unit: UnitOut
    indicator_set: IndicatorSetOut
    publication: PublicationOut = Field(description="The version shown (the newest unless asked).")


class RankingSummaryOut(Schema):
    kind: RankingKindName
    label: str
    units: int


class PublishedCampaignDetailOut(PublishedCampaignOut):
    versions: list[PublicationOut]
    rankings: list[RankingSummaryOut]


class RankingRowOut(Schema):
    rank: int = Field(description="Equal values share a rank; the next rank is skipped.")
    value: Decimal = Field(description="Percentage, as a string.")
    band: str | None = Field(description="The unit's DTI band; null outside the DTI ranking.")
    assessment_id: int = Field(description="The key of the unit's published scorecard.")
    unit: UnitOut


class PointsOut(Schema):
    achieved: Decimal
    bonus: Decimal
    max: Decimal


class DtiOut(Schema):
    value: Decimal | None
    rank: int | None
    band: str = Field(description="Empty when the set defines no bands.")


class SubIndexOut(Schema):
    kind: RankingKindName
    label: str
    value: Decimal | None
    rank: int | None


class PillarOut(Schema):
    code: str
    name: str
    achieved: Decimal | None
    bonus: Decimal | None
    max: Decimal | None
    value: Decimal | None


class IndicatorOut(Schema):
    code: str
    name: str
    pillar: str
    max: Decimal | None
    bonus: bool
    self_score: Decimal | None
    round_1: Decimal | None
    round_2: Decimal | None
    final: Decimal | None


class ScorecardOut(Schema):
    campaign: int
    assessment_id: int
    unit: UnitOut
    publication: PublicationOut
    points: PointsOut
    dti: DtiOut
    sub_indices: list[SubIndexOut]
    pillars: list[PillarOut]
    indicators: list[IndicatorOut]
