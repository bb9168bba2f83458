"""Forms of the organizer's pages: a campaign, its calendar, its units, assignments, reopening.

The forms only read what was typed; every rule (the calendar's order, which
units may be assessed, who may do what) is the services' business, and their
refusals are shown on the form as they come.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from indicators.models import natural_key

from .models import PHASE_ORDER, STATE_ORDER, AssessmentState, Level, PhaseKind

DATETIME_FORMAT = "%d/%m/%Y %H:%M"

# The windows that have an opening time; publication has only a target.
WINDOWS = [kind for kind in PHASE_ORDER if kind != PhaseKind.PUBLICATION]


class LocalDateTimeInput(forms.DateTimeInput):
    """``dd/mm/yyyy HH:MM`` in a plain text box: it works the same on every phone."""

    def __init__(self, attrs=None):
        base = {
            "class": "form-control dti-datetime",
            "placeholder": "dd/mm/yyyy HH:MM",
            "autocomplete": "off",
            "spellcheck": "false",
            "inputmode": "text",
        }
        super().__init__(attrs={**base, **(attrs or {})}, format=DATETIME_FORMAT)


def local_datetime_field(label, **kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        input_formats=[DATETIME_FORMAT],
        widget=LocalDateTimeInput(),
        error_messages={"invalid": _("Enter the date and time as dd/mm/yyyy HH:MM.")},
        **kwargs,
    )


def default_calendar(today: date | None = None) -> dict[str, dict]:
    """A calendar like the one of the Trà Bồng plan of 2024 (seed 000), from tomorrow.

    Self-assessment 10 days, appraisal round 1 10 days, explanation 5 days,
    round 2 10 days, each window opening when the one before closes (08:00 to
    17:00 local time); publication before 30 November, or 5 days after round 2
    when that is later.
    """
    today = today or timezone.localdate()
    zone = timezone.get_current_timezone()

    def at(day: date, hour: int) -> datetime:
        return datetime.combine(day, time(hour, 0), tzinfo=zone)

    start = today + timedelta(days=1)
    calendar = {}
    opens = at(start, 8)
    day = start
    for kind, days in zip(WINDOWS, (10, 10, 5, 10), strict=True):
        day = day + timedelta(days=days)
        closes = at(day, 17)
        calendar[kind] = {"opens_at": opens, "closes_at": closes, "grace_minutes": 0}
        opens = closes
    target = at(date(start.year, 11, 29), 17)
    if target < opens:
        target = at(day + timedelta(days=5), 17)
    calendar[PhaseKind.PUBLICATION] = {"closes_at": target}
    return calendar


def calendar_initial(phases) -> dict:
    """Form initial values from ``{kind: {...}}`` or from ``Phase`` rows."""
    if not isinstance(phases, dict):
        phases = {
            phase.kind: {
                "opens_at": phase.opens_at,
                "closes_at": phase.closes_at,
                "grace_minutes": phase.grace_minutes,
            }
            for phase in phases
        }
    initial = {}
    for kind, spec in phases.items():
        if kind != PhaseKind.PUBLICATION:
            initial[f"{kind}_opens"] = spec.get("opens_at")
            initial[f"{kind}_grace"] = spec.get("grace_minutes") or 0
        initial[f"{kind}_closes"] = spec.get("closes_at")
    return initial


class CalendarFields(forms.Form):
    """The phase calendar: opening and closing of each window, grace, publication target."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in WINDOWS:
            self.fields[f"{kind}_opens"] = local_datetime_field(_("Opens"))
            self.fields[f"{kind}_closes"] = local_datetime_field(_("Closes"))
            self.fields[f"{kind}_grace"] = forms.IntegerField(
                label=_("Grace (minutes)"),
                required=False,
                min_value=0,
                widget=forms.NumberInput(
                    attrs={"class": "form-control", "inputmode": "numeric", "min": "0"}
                ),
            )
        self.fields["publication_closes"] = local_datetime_field(_("Target date"))

    def calendar_rows(self):
        """One row per phase for the template: the phase and its bound fields."""
        rows = []
        for kind in PHASE_ORDER:
            if kind == PhaseKind.PUBLICATION:
                rows.append({"kind": kind, "closes": self["publication_closes"]})
            else:
                rows.append(
                    {
                        "kind": kind,
                        "opens": self[f"{kind}_opens"],
                        "closes": self[f"{kind}_closes"],
                        "grace": self[f"{kind}_grace"],
                    }
                )
        return rows

    def phases(self) -> dict[str, dict]:
        """``{kind: {...}}`` for the services: a phase left wholly empty is left out."""
        data = self.cleaned_data
        phases = {}
        for kind in WINDOWS:
            opens, closes = data.get(f"{kind}_opens"), data.get(f"{kind}_closes")
            if opens is None and closes is None:
                continue
            phases[kind] = {
                "opens_at": opens,
                "closes_at": closes,
                "grace_minutes": data.get(f"{kind}_grace") or 0,
            }
        if data.get("publication_closes") is not None:
            phases[PhaseKind.PUBLICATION] = {"closes_at": data["publication_closes"]}
        return phases


class SetSelect(forms.Select):
    """A select of indicator sets whose options carry ``data-tier`` for the page's script."""

    def __init__(self, *args, tiers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tiers = tiers or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        key = getattr(value, "value", value)
        if key in self.tiers:
            option["attrs"]["data-tier"] = self.tiers[key]
        return option


def unit_field(units, *, label) -> forms.ModelMultipleChoiceField:
    from .models import AdministrativeUnit

    field = forms.ModelMultipleChoiceField(
        label=label,
        queryset=AdministrativeUnit.objects.filter(pk__in=[u.pk for u in units]),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    # The choices come from the list already read: no query to draw them.
    field.choices = [(unit.pk, unit.name) for unit in units]
    return field


class CampaignCreateForm(CalendarFields):
    name = forms.CharField(
        label=_("Name of the campaign"),
        max_length=300,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    year = forms.IntegerField(
        label=_("Year"),
        min_value=2000,
        max_value=2100,
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )
    indicator_set = forms.ModelChoiceField(
        label=_("Indicator set"),
        queryset=None,
        empty_label=None,
    )

    def __init__(self, *args, indicator_sets, units_by_level, **kwargs):
        super().__init__(*args, **kwargs)
        sets = list(indicator_sets)
        field = self.fields["indicator_set"]
        field.queryset = indicator_sets
        field.widget = SetSelect(
            attrs={"class": "form-select", "data-set-select": ""},
            tiers={s.pk: s.tier for s in sets},
        )
        field.choices = [(s.pk, f"{s.name} – {s.get_tier_display()}, {s.year}") for s in sets]
        self.levels = []
        for level in Level.values:
            if level in units_by_level and any(s.tier == level for s in sets):
                name = f"units_{level}"
                self.fields[name] = unit_field(units_by_level[level], label=Level(level).label)
                self.levels.append(level)

    def unit_groups(self):
        return [{"level": level, "field": self[f"units_{level}"]} for level in self.levels]

    def units(self):
        indicator_set = self.cleaned_data["indicator_set"]
        return list(self.cleaned_data.get(f"units_{indicator_set.tier}") or [])


class CalendarForm(CalendarFields):
    pass


class UnitsForm(forms.Form):
    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"] = unit_field(units, label=_("Assessed units"))


class DepartmentAssignmentForm(forms.Form):
    """One select of department per indicator, and one per pillar to assign it whole."""

    def __init__(self, *args, indicators, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(str(a.pk), a.name) for a in agencies]
        self.agencies = {str(a.pk): a for a in agencies}
        self.pillars = []
        by_pillar = {}
        for indicator in sorted(
            indicators, key=lambda i: (i.pillar.order, natural_key(i.pillar.code))
        ):
            by_pillar.setdefault(indicator.pillar, []).append(indicator)
        for pillar, items in by_pillar.items():
            items.sort(key=lambda i: natural_key(i.code))
            self.fields[f"pillar_{pillar.pk}"] = forms.ChoiceField(
                label=_("Assign the whole pillar to"),
                choices=choices,
                required=False,
                widget=forms.Select(
                    attrs={"class": "form-select form-select-sm", "data-pillar": pillar.pk}
                ),
            )
            rows = []
            for indicator in items:
                name = f"indicator_{indicator.pk}"
                self.fields[name] = forms.ChoiceField(
                    label=indicator.code,
                    choices=choices,
                    required=False,
                    widget=forms.Select(
                        attrs={
                            "class": "form-select form-select-sm",
                            "data-in-pillar": pillar.pk,
                        }
                    ),
                )
                rows.append({"indicator": indicator, "field": self[name]})
            self.pillars.append(
                {"pillar": pillar, "bulk": self[f"pillar_{pillar.pk}"], "rows": rows}
            )

    def assignment(self) -> dict:
        """``{agency: [indicators]}`` for every department, empty lists included.

        A pillar's own select, when chosen, counts for each of its indicators.
        """
        found = {agency: [] for agency in self.agencies.values()}
        for group in self.pillars:
            whole = self.cleaned_data.get(f"pillar_{group['pillar'].pk}")
            for row in group["rows"]:
                indicator = row["indicator"]
                chosen = whole or self.cleaned_data.get(f"indicator_{indicator.pk}")
                if chosen:
                    found[self.agencies[chosen]].append(indicator)
        return found


class ReopenForm(forms.Form):
    to_state = forms.ChoiceField(
        label=_("Reopen to"), widget=forms.Select(attrs={"class": "form-select"})
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}),
        help_text=_("Kept in the assessment's history with your name and the time."),
    )
    extend_until = local_datetime_field(
        _("Extend the self-assessment until"),
        help_text=_(
            "Optional, when reopening the self-assessment after its window: this unit may "
            "work until then."
        ),
    )

    def __init__(self, *args, current_state, **kwargs):
        super().__init__(*args, **kwargs)
        earlier = STATE_ORDER[: STATE_ORDER.index(current_state)]
        self.fields["to_state"].choices = [
            (state, AssessmentState(state).label) for state in reversed(earlier)
        ]
