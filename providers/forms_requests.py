"""The form of the data request pages: asking an agency (the answer is a text and files)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.models import Agency

from .services import QUESTION_MAX_CHARS

# Dates as the offices write them (dd/mm/yyyy) in every interface language.
DATE_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]


class AgencyChoice(forms.ModelChoiceField):
    def label_from_instance(self, agency):
        return f"{agency.name} ({agency.unit.name})"


class AskForm(forms.Form):
    """What, of whom, by when. Missing values are the service's to refuse, with its words."""

    agency = AgencyChoice(
        label=_("Agency to ask"),
        queryset=Agency.objects.none(),
        required=False,
        empty_label=_("Choose an agency"),
        error_messages={"invalid_choice": _("Choose one of the agencies listed.")},
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    due_date = forms.DateField(
        label=_("Answer by"),
        required=False,
        input_formats=DATE_FORMATS,
        error_messages={"invalid": _("Enter the due date as dd/mm/yyyy.")},
        widget=forms.DateInput(
            format="%d/%m/%Y",
            attrs={
                "class": "form-control",
                "placeholder": _("dd/mm/yyyy"),
                "inputmode": "numeric",
                "autocomplete": "off",
            },
        ),
    )
    question = forms.CharField(
        label=_("What the agency should provide"),
        required=False,
        widget=forms.Textarea(
            attrs={"class": "form-control", "rows": 4, "maxlength": QUESTION_MAX_CHARS}
        ),
    )

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies
