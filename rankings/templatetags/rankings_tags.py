"""Template tags of the rankings pages and of the other paged lists."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context, parameter: str, number: int | str, drop: str = "") -> str:
    """The page's query string with ``parameter`` set to ``number`` (a page, or another
    value: the ranking, the version); the rest kept (the version asked for, the ranking,
    the stage, the filters) except the parameters named in ``drop`` (comma-separated)."""
    query = context["request"].GET.copy()
    for name in (drop or "").split(","):
        query.pop(name.strip(), None)
    query[parameter] = str(number)
    return query.urlencode()
