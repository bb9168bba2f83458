"""The forms of the council pages: they only turn posted text into the services' arguments."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from assessments.forms import FlexibleDecimalField

from .models import EXPLANATION_MAX_CHARS, CouncilRole

DATE_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]


class CouncilForm(forms.Form):
    decision_number = forms.CharField(
        label=_("Decision number"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 1234/QĐ-UBND")}),
    )
    decision_date = forms.DateField(
        label=_("Decision date"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.TextInput(
            attrs={"placeholder": _("dd/mm/yyyy"), "inputmode": "numeric", "autocomplete": "off"}
        ),
    )


def _person_label(user) -> str:
    agency = user.agency.name if user.agency_id else ""
    return f"{user} — {agency}" if agency else str(user)


class MemberAddForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Person"), queryset=get_user_model().objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=CouncilRole.choices)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = candidates
        self.fields["user"].label_from_instance = _person_label


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=CouncilRole.choices)


class AssignForm(forms.Form):
    """Assign (or take away) a whole pillar or chosen indicators, optionally in some units."""

    member = forms.ModelChoiceField(label=_("Council member"), queryset=None)
    pillar = forms.ModelChoiceField(label=_("Whole pillar"), queryset=None, required=False)
    indicators = forms.ModelMultipleChoiceField(
        label=_("Or single indicators"), queryset=None, required=False
    )
    units = forms.ModelMultipleChoiceField(
        label=_("Only in these units (empty: every unit)"), queryset=None, required=False
    )

    def __init__(self, *args, members, pillars, indicators, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["member"].label_from_instance = lambda m: _person_label(m.user)
        self.fields["pillar"].queryset = pillars
        self.fields["pillar"].label_from_instance = lambda p: f"{p.code}. {p.name}"
        self.fields["indicators"].queryset = indicators
        self.fields["indicators"].label_from_instance = lambda i: f"{i.code}. {i.name}"
        self.fields["units"].queryset = units


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Assignment sheet (.xlsx)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.ASSIGNMENT_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)}
            )
        return upload


class AppraisalForm(forms.Form):
    score = FlexibleDecimalField(label=_("Appraised score"), required=False)
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm"}),
    )
    use_inputs = forms.BooleanField(required=False)


class ExplanationForm(forms.Form):
    text = forms.CharField(
        label=_("Explanation"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": EXPLANATION_MAX_CHARS}),
    )
