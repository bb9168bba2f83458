"""``{% data_requests_of response as data_requests %}``: the requests about a response
that the person viewing the page may see (``selectors.response_requests``)."""

from django import template

from providers import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def data_requests_of(context, response) -> list:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or response is None:
        return []
    return selectors.response_requests(user=user, response=response)
