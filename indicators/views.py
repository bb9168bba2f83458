from django.shortcuts import get_object_or_404, render

from .models import IndicatorSet


def methodology_index(request):
    return render(request, "indicators/methodology_index.html", {"sets": IndicatorSet.objects.all()})


def methodology(request, set_id):
    indicator_set = get_object_or_404(IndicatorSet, pk=set_id)
    return render(request, "indicators/methodology.html", {"indicator_set": indicator_set})
