"""Where a figure came from: typed by the unit, imported from an agency's sheet, or provided.

One shape for every place that shows it (the unit's page, the history, the
council's rows, the results workbook): a ``Provenance``, built from the
unit's current figure (a response's inputs or one general-information value),
how it came (``Response.inputs_source`` or ``Assessment.general_info_provenance``)
and the figure an agency provided for it, if any (``providers.ProvidedFigure``,
read by the callers in one query for a whole page).

Who and when: for a figure the unit typed, the person who last saved it; for
a figure an agency provided or sent in a sheet and the unit kept, the
agency's person and time. When the unit's figure differs from the provided
one, both are shown, with the unit's note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from indicators import scoring

from .models import InputSource


def when(moment: datetime | None) -> str:
    """``H:i d/m/Y`` in the local time zone, as the pages write a time (cheaper than the
    ``date`` filter, for pages that show one per indicator)."""
    return timezone.localtime(moment).strftime("%H:%M %d/%m/%Y") if moment else ""


@dataclass(frozen=True)
class ProvidedValue:
    """The figure an agency provided: raw inputs, or ``{"value": ...}`` for a field."""

    value: dict
    agency: str
    by: str
    at: datetime | None

    @property
    def who_when(self) -> str:
        return ", ".join(part for part in (self.by or "—", when(self.at)) if part)


@dataclass(frozen=True)
class Provenance:
    source: str  # an InputSource value
    agency: str = ""  # the agency whose figure the unit's figure is (provided, imported)
    by: str = ""
    at: datetime | None = None
    note: str = ""  # why the unit changed the provided figure
    provided: ProvidedValue | None = None
    differs: bool = False  # the unit's figure is not the provided one
    entered: bool = True  # False: the unit has no figure yet (only the agency's is there)

    @property
    def source_label(self) -> str:
        return str(InputSource(self.source).label)

    @property
    def is_typed(self) -> bool:
        return self.source == InputSource.TYPED

    @property
    def is_imported(self) -> bool:
        return self.source == InputSource.IMPORTED

    @property
    def is_provided(self) -> bool:
        return self.source == InputSource.PROVIDED

    @property
    def label(self) -> str:
        """How the figure came, in the active language: "Provided by Viettel" ..."""
        if self.source == InputSource.PROVIDED:
            return _("Provided by %(agency)s") % {"agency": self.agency}
        if self.source == InputSource.IMPORTED:
            return _("Imported from a sheet of %(agency)s") % {"agency": self.agency}
        return _("Typed")

    @property
    def who_when(self) -> str:
        """``Lê Văn Công, 09:30 05/11/2025``: who saved or provided the figure, and when."""
        if not (self.by or self.at):
            return ""
        return ", ".join(part for part in (self.by or "—", when(self.at)) if part)


def inputs_text(indicator, inputs) -> str:
    """An indicator's raw inputs in words: the unit's answer, another writer's, an agency's."""
    from indicators.templatetags.indicators_tags import number

    inputs = inputs or {}
    rule = indicator.rule or {}
    method = indicator.method
    if not inputs:
        return _("(no answer)")
    if method == scoring.YES_NO:
        return _("Yes") if inputs.get("value") is True else _("No")
    if method == scoring.LEVELS:
        labels = {o["key"]: o.get("label") or o["key"] for o in rule.get("options", [])}
        return labels.get(inputs.get("option"), str(inputs.get("option")))
    if method == scoring.CHECKLIST:
        labels = {p["key"]: p.get("label") or p["key"] for p in rule.get("parts", [])}
        return "; ".join(labels.get(k, k) for k in inputs.get("checked") or []) or "—"
    if method == scoring.RATIO:
        return " / ".join(
            f"{(rule.get(t) or {}).get('label') or t}: {number(inputs[t])}"
            for t in ("a", "b")
            if t in inputs
        )
    unit = (rule.get("unit") or "").strip() if method in (scoring.TIERS, scoring.COUNT) else ""
    return f"{number(inputs.get('value'))} {unit}".strip()


def general_info_text(value, *, number: bool) -> str:
    """A general-information figure in words: a number in the active language's format."""
    from indicators.templatetags.indicators_tags import number as in_language

    if value in (None, ""):
        return "—"
    return in_language(value) if number else str(value)


def person(user) -> str:
    return str(user) if user is not None else ""


def provided_value(figure) -> ProvidedValue | None:
    """A ``providers.ProvidedFigure`` (assignment's agency and provided_by loaded) or None."""
    if figure is None:
        return None
    return ProvidedValue(
        value=dict(figure.value or {}),
        agency=figure.assignment.agency.name,
        by=person(figure.provided_by),
        at=figure.provided_at,
    )


def build(
    *,
    source: str,
    inputs: Any,
    agency: str = "",
    by: str = "",
    at: datetime | None = None,
    note: str = "",
    provided: ProvidedValue | None = None,
    entered: bool = True,
) -> Provenance:
    from .services import inputs_equal  # services read the selectors, which read this module

    differs = provided is not None and not inputs_equal(inputs or {}, provided.value)
    source = source or InputSource.TYPED
    if provided is not None and not differs and source != InputSource.TYPED:
        # The unit kept the agency's figure: it is the agency's person's, of their time.
        if provided.at is not None:
            by, at = provided.by, provided.at
        agency = agency or provided.agency
    return Provenance(
        source=str(source),
        agency=agency or "",
        by=by or "",
        at=at,
        note=(note or "") if differs else "",
        provided=provided,
        differs=differs,
        entered=entered,
    )


def shown(found: Provenance) -> Provenance | None:
    """``found``, or None when there is nothing to show: no figure of the unit's, no agency's."""
    return found if found.entered or found.provided is not None else None


def of_response(response, figure=None, *, provided=None) -> Provenance | None:
    """A response's provenance (``inputs_agency`` and ``updated_by`` loaded); None when the
    unit has entered nothing and no agency provided anything. The agency's figure is
    ``figure`` (a ``ProvidedFigure``) or ``provided`` (a ``ProvidedValue``)."""
    if provided is None:
        provided = provided_value(figure)
    agency = response.inputs_agency
    return shown(
        build(
            source=response.inputs_source,
            inputs=response.inputs,
            agency=agency.name if agency is not None else "",
            by=person(response.updated_by),
            at=response.updated_at,
            note=response.provided_change_note,
            provided=provided,
            entered=bool(response.inputs) or response.self_score is not None,
        )
    )


def of_general_info(entry: dict | None, value, figure=None, *, provided=None) -> Provenance | None:
    """One general-information figure's provenance from its ``general_info_provenance`` entry;
    the agency's figure is ``figure`` (a ``ProvidedFigure``) or ``provided``."""
    if provided is None:
        provided = provided_value(figure)
    entry = entry or {}
    at = entry.get("at")
    if isinstance(at, str):
        at = parse_datetime(at)
    inputs = {} if value in (None, "") else {"value": value}
    return shown(
        build(
            source=entry.get("source") or InputSource.TYPED,
            inputs=inputs,
            agency=entry.get("agency", ""),
            by=entry.get("by", ""),
            at=at,
            note=entry.get("note", ""),
            provided=provided,
            entered=bool(inputs),
        )
    )
