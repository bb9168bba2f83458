"""Public pages on the scoring method (công khai phương pháp, cách tính điểm)."""

from django.shortcuts import get_object_or_404, render

from . import selectors


def methodology_index(request):
    """Every active or frozen set, by year and tier, with its legal basis."""
    sets = selectors.public_indicator_set_summaries()
    return render(request, "indicators/methodology_index.html", {"sets": sets})


def methodology(request, set_id):
    """One set's method: structure, derived maxima, rules and how the values are computed."""
    indicator_set = get_object_or_404(selectors.public_indicator_sets(), pk=set_id)
    method = selectors.indicator_set_methodology(indicator_set=indicator_set)
    return render(
        request,
        "indicators/methodology.html",
        {
            "indicator_set": indicator_set,
            "method": method,
            "general_info_names": method.general_info_names,
        },
    )
