from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ApiToken


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the new token"),
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text=_("The system that will use it, e.g. “Statistics office reporting system”."),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
