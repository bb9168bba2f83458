"""Template tags of the public rankings pages."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context, parameter: str, number: int) -> str:
    """The page's query string with ``parameter`` set to ``number``; the rest kept
    (the version asked for, the other tables' pages)."""
    query = context["request"].GET.copy()
    query[parameter] = str(number)
    return query.urlencode()
