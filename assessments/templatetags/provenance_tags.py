"""Filters for showing where a figure came from (``assessments.provenance``)."""

from django import template
from django.utils.html import format_html

from assessments import provenance

register = template.Library()


@register.filter
def in_words(inputs, indicator) -> str:
    """An indicator's raw inputs in words: ``{{ figure.value|in_words:indicator }}``."""
    if indicator is None:
        return ""
    return provenance.inputs_text(indicator, inputs)


@register.simple_tag
def source_badge(prov) -> str:
    """The source of a figure and who/when, as a badge and a line (one per indicator: a tag,
    cheaper than template logic on a page of ~90 cards)."""
    if prov is None or not prov.entered:
        return ""
    style = "text-bg-light border" if prov.is_typed else "text-bg-info"
    badge = format_html('<span class="badge {}" data-testid="source">{}</span>', style, prov.label)
    who = prov.who_when
    if not who:
        return badge
    return format_html(
        '{} <span class="text-secondary" data-testid="source-who">{}</span>', badge, who
    )
