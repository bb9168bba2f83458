"""The published results as PDF documents (WeasyPrint): the decision's appendix and the
scorecard of each unit.

Both read only the published snapshot (``Publication``, ``PublishedResult``),
never the live scores, so a document of a version is the same whenever it is
asked for.

They are Vietnamese administrative documents, whatever the language of the
page they are downloaded from: the appendix belongs to a decision of the
People's Committee, written in Vietnamese (Nghị định 30/2020/NĐ-CP: A4, a
Times-like serif, the date line "…, ngày … tháng … năm …", the signature
block on the right). Their fixed wording is therefore Vietnamese in the
templates (``templates/rankings/pdf/``), not a translated message, and they
are rendered under the Vietnamese locale (``85,50 %``, ``25/11/2024``).

Fonts: DejaVu Serif and Sans shipped in ``static/fonts/dejavu`` under family
names no system has ("DTI DejaVu Serif", "DTI DejaVu Sans"), loaded by absolute ``file://``
URLs, so a machine without Vietnamese fonts renders the same document. The
URL fetcher serves those font files and nothing else: no page, image or
file named by published text can ever be fetched into a document.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlparse
from xml.sax.saxutils import escape

from django.conf import settings
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from indicators.templatetags.indicators_tags import percent

from . import selectors
from .models import Publication, PublishedResult, RankingKind

FONT_DIR = Path(settings.BASE_DIR) / "static" / "fonts" / "dejavu"
# (CSS family, file, weight, style): the only fonts a document may use.
FONT_FACES = [
    ("DTI DejaVu Serif", "DejaVuSerif.ttf", "normal", "normal"),
    ("DTI DejaVu Serif", "DejaVuSerif-Bold.ttf", "bold", "normal"),
    ("DTI DejaVu Serif", "DejaVuSerif-Italic.ttf", "normal", "italic"),
    ("DTI DejaVu Sans", "DejaVuSans.ttf", "normal", "normal"),
    ("DTI DejaVu Sans", "DejaVuSans-Bold.ttf", "bold", "normal"),
]

# The four rankings as the decisions name them.
TABLE_TITLES = {
    RankingKind.DTI: "Xếp hạng Chỉ số chuyển đổi số (DTI)",
    RankingKind.DIGITAL_GOVERNMENT: "Xếp hạng Chỉ số Chính quyền số",
    RankingKind.DIGITAL_ECONOMY: "Xếp hạng Chỉ số Kinh tế số",
    RankingKind.DIGITAL_SOCIETY: "Xếp hạng Chỉ số Xã hội số",
}
SHORT_TITLES = {
    RankingKind.DTI: "DTI",
    RankingKind.DIGITAL_GOVERNMENT: "Chính quyền số",
    RankingKind.DIGITAL_ECONOMY: "Kinh tế số",
    RankingKind.DIGITAL_SOCIETY: "Xã hội số",
}
RANK_FIELDS = {
    RankingKind.DTI: "dti",
    RankingKind.DIGITAL_GOVERNMENT: "cqs",
    RankingKind.DIGITAL_ECONOMY: "kts",
    RankingKind.DIGITAL_SOCIETY: "xhs",
}

# The word naming each kind of unit inside a sentence ("Ủy ban nhân dân huyện Trà Bồng").
KIND_WORDS = {
    "tinh": "tỉnh",
    "thanh_pho_tw": "thành phố",
    "huyen": "huyện",
    "quan": "quận",
    "thi_xa": "thị xã",
    "thanh_pho": "thành phố",
    "xa": "xã",
    "phuong": "phường",
    "thi_tran": "thị trấn",
    "dac_khu": "đặc khu",
}


# --- words and dates of an administrative document --------------------------------------


@dataclass(frozen=True)
class Authority:
    """The People's Committee of the organizing unit, as a document names it."""

    place: str  # "Trà Bồng": the date line's place
    unit: str  # "huyện Trà Bồng"

    @property
    def name(self) -> str:
        return f"Ủy ban nhân dân {self.unit}"

    @property
    def heading(self) -> list[str]:
        return ["ỦY BAN NHÂN DÂN", self.unit.upper()]


def authority_of(unit) -> Authority:
    """``Trà Bồng`` (huyện) and ``Huyện Trà Bồng`` both give place Trà Bồng, huyện Trà Bồng."""
    word = KIND_WORDS.get(unit.kind, "")
    name = " ".join(unit.name.split())
    place = name
    if word and name.lower().startswith(word + " "):
        place = name[len(word) + 1 :].strip()
    return Authority(place=place, unit=f"{word} {place}".strip())


def date_in_words(day: date) -> str:
    """``ngày 05 tháng 01 năm 2025``: a zero before days under 10 and months 1 and 2."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


# --- the appendix ------------------------------------------------------------------------


@dataclass(frozen=True)
class AppendixTable:
    number: int
    kind: str
    title: str
    rows: list  # (rank, value, result)


def appendix_context(*, publication: Publication) -> dict:
    campaign = publication.campaign
    indicator_set = campaign.indicator_set
    tables = [
        AppendixTable(number, table.kind, TABLE_TITLES[table.kind], table.rows)
        for number, table in enumerate(selectors.published_tables(publication=publication), start=1)
    ]
    previous = None
    if publication.version > 1:
        previous = (
            Publication.objects.filter(campaign=campaign, version=publication.version - 1)
            .only("decision_number", "decision_date", "version")
            .first()
        )
    units = publication.results.count()
    return {
        **_common(publication),
        "indicator_set": indicator_set,
        "tables": tables,
        "units": units,
        "previous": previous,
    }


def appendix_html(*, publication: Publication) -> str:
    with translation.override("vi"):
        return render_to_string(
            "rankings/pdf/appendix.html", appendix_context(publication=publication)
        )


def appendix_pdf(*, publication: Publication) -> bytes:
    """The appendix of the ranking decision: its basis, the four rankings, the signature."""
    return render_pdf(appendix_html(publication=publication))


# --- the scorecard of a unit ----------------------------------------------------------------


@dataclass(frozen=True)
class ValueCard:
    title: str
    value: Decimal | None
    rank: int | None
    ranked: int  # units in that ranking


def scorecard_context(*, publication: Publication, result: PublishedResult) -> dict:
    places = publication.campaign.indicator_set.decimal_places
    averages = selectors.pillar_averages(publication=publication)
    pillars = selectors.pillars_against_average(result=result, averages=averages)
    counted = publication.results.aggregate(
        **{
            prefix: Count("pk", filter=Q(**{f"{prefix}_rank__isnull": False}))
            for prefix in RANK_FIELDS.values()
        }
    )
    cards = [
        ValueCard(
            title=SHORT_TITLES[kind],
            value=getattr(result, f"{prefix}_value"),
            rank=getattr(result, f"{prefix}_rank"),
            ranked=counted[prefix],
        )
        for kind, prefix in RANK_FIELDS.items()
        if kind == RankingKind.DTI or counted[prefix]
    ]
    # The indicators under their pillars, in the pillars' order (a bonus indicator such as
    # "KK" sorts after every numbered code but belongs to its pillar).
    groups = {
        p["code"]: {"code": p["code"], "name": p["name"], "items": []} for p in result.pillars
    }
    for item in result.indicators:
        group = groups.setdefault(item["pillar"], {"code": item["pillar"], "name": "", "items": []})
        # A bonus indicator is marked, unless its name says so already.
        marked = item["bonus"] and "khuyến khích" not in item["name"].lower()
        group["items"].append({**item, "marked_bonus": marked})
    charted = [p for p in pillars if p.value is not None or p.average is not None]
    with translation.override("vi"):
        chart = pillar_chart_svg(charted, places=places)
    return {
        **_common(publication),
        "result": result,
        "cards": cards,
        "pillars": charted,
        "chart": chart,
        "strengths": [p for p in pillars if p.above],
        "weaknesses": [p for p in pillars if p.below],
        "indicator_groups": [group for group in groups.values() if group["items"]],
    }


def scorecard_html(*, publication: Publication, result: PublishedResult) -> str:
    with translation.override("vi"):
        return render_to_string(
            "rankings/pdf/scorecard.html",
            scorecard_context(publication=publication, result=result),
        )


def scorecard_pdf(*, publication: Publication, result: PublishedResult) -> bytes:
    """One unit's published result: values, ranks, pillars against the average, indicators."""
    return render_pdf(scorecard_html(publication=publication, result=result))


# Geometry of the chart, in millimetres (the SVG's user units).
CHART_WIDTH = 165
LABEL_WIDTH = 62
VALUE_WIDTH = 22
BAR_HEIGHT = 3.6
ROW_HEIGHT = 11
LABEL_CHARS = 34  # per line of a pillar's name at the label's size
ABOVE_COLOUR, BELOW_COLOUR, AVERAGE_COLOUR = "#1f4e79", "#c55a11", "#9dc3e6"


def _label_lines(text: str, width: int = LABEL_CHARS) -> list[str]:
    """A pillar's name on at most two lines (the second cut with "…")."""
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
    if len(lines[-1]) > width:
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return lines


def pillar_chart_svg(pillars, *, places: int) -> SafeString:
    """A horizontal bar chart: each pillar's value (dark) above the campaign's average (light).

    Plain inline SVG (no scripts, no external references), scaled 0–100 %.
    """
    bar_x = LABEL_WIDTH + 2
    bar_width = CHART_WIDTH - bar_x - VALUE_WIDTH
    legend_height = 9
    height = legend_height + ROW_HEIGHT * max(len(pillars), 1) + 6

    def scaled(value) -> float:
        if value is None:
            return 0.0
        return round(float(min(max(value, Decimal(0)), Decimal(100))) / 100 * bar_width, 2)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{CHART_WIDTH}mm" height="{height}mm" viewBox="0 0 {CHART_WIDTH} {height}" '
        f'font-family="DTI DejaVu Sans" font-size="2.9">',
        "<title>Giá trị các chỉ số chính so với trung bình của đợt đánh giá</title>",
    ]
    legend = [
        (ABOVE_COLOUR, "Đơn vị"),
        (BELOW_COLOUR, "Đơn vị, dưới trung bình"),
        (AVERAGE_COLOUR, "Trung bình của đợt"),
    ]
    x = 0.0
    for colour, label in legend:
        parts.append(f'<rect x="{x}" y="1" width="4" height="{BAR_HEIGHT}" fill="{colour}"/>')
        parts.append(f'<text x="{x + 5.5}" y="{1 + BAR_HEIGHT - 0.8}">{escape(label)}</text>')
        x += 8 + len(label) * 1.6
    top = legend_height
    # Grid at 0, 25, 50, 75, 100 %
    grid_bottom = top + ROW_HEIGHT * len(pillars)
    for step in range(0, 101, 25):
        x = round(bar_x + bar_width * step / 100, 2)
        parts.append(
            f'<line x1="{x}" y1="{top - 1}" x2="{x}" y2="{grid_bottom}" '
            f'stroke="#d0d0d0" stroke-width="0.2"/>'
        )
        parts.append(
            f'<text x="{x}" y="{grid_bottom + 3.5}" text-anchor="middle" fill="#555">{step}</text>'
        )
    for index, pillar in enumerate(pillars):
        y = top + ROW_HEIGHT * index + 1
        lines = _label_lines(f"{pillar.code}. {pillar.name}")
        first_y = y + (BAR_HEIGHT + 1.2 if len(lines) == 1 else BAR_HEIGHT - 0.2)
        for number, line in enumerate(lines):
            parts.append(
                f'<text x="0" y="{round(first_y + number * 3.6, 2)}">{escape(line)}</text>'
            )
        value_colour = BELOW_COLOUR if pillar.below else ABOVE_COLOUR
        parts.append(
            f'<rect class="value" x="{bar_x}" y="{y}" width="{scaled(pillar.value)}" '
            f'height="{BAR_HEIGHT}" '
            f'fill="{value_colour}"/>'
        )
        parts.append(
            f'<rect class="average" x="{bar_x}" y="{round(y + BAR_HEIGHT + 0.6, 2)}" '
            f'width="{scaled(pillar.average)}" height="{BAR_HEIGHT}" fill="{AVERAGE_COLOUR}"/>'
        )
        value_text = percent(pillar.value, places) if pillar.value is not None else "—"
        average_text = percent(pillar.average, 2) if pillar.average is not None else "—"
        text_x = bar_x + bar_width + 1.5
        parts.append(
            f'<text x="{text_x}" y="{round(y + BAR_HEIGHT - 0.7, 2)}" font-weight="bold">'
            f"{escape(value_text)}</text>"
        )
        parts.append(
            f'<text x="{text_x}" y="{round(y + 2 * BAR_HEIGHT - 0.1, 2)}" fill="#555">'
            f"{escape(average_text)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped)


# --- shared -----------------------------------------------------------------------------


def _common(publication: Publication) -> dict:
    campaign = publication.campaign
    authority = authority_of(campaign.organizing_unit)
    return {
        "publication": publication,
        "campaign": campaign,
        "places": campaign.indicator_set.decimal_places,
        "authority": authority,
        "date_line": f"{authority.place}, {date_in_words(publication.decision_date)}",
        "signer_title_lines": [
            line.strip().upper() for line in publication.signer_title.splitlines() if line.strip()
        ],
        "font_faces": [
            {"family": family, "url": (FONT_DIR / file).as_uri(), "weight": weight, "style": style}
            for family, file, weight, style in FONT_FACES
        ],
    }


def _shipped_font(url: str) -> Path | None:
    """The shipped font file a ``file://`` URL names, or None for anything else."""
    if not url.startswith("file://"):
        return None
    path = Path(unquote(urlparse(url).path)).resolve()
    if path.parent != FONT_DIR.resolve() or path.suffix != ".ttf" or not path.is_file():
        return None
    return path


try:  # Recent WeasyPrint (70 here): a fetcher is a URLFetcher.
    from weasyprint.urls import URLFetcher as _URLFetcher
except ImportError:  # pragma: no cover - older WeasyPrint (pyproject allows ≥ 62): a function.
    _URLFetcher = None


if _URLFetcher is not None:

    class ShippedFontsFetcher(_URLFetcher):
        """Fetches the shipped fonts and refuses every other URL."""

        def fetch(self, url, headers=None):
            if _shipped_font(url) is None:
                raise ValueError(f"Documents may only use the shipped fonts, not {url}")
            return super().fetch(url, headers)

    def _fetcher():
        return ShippedFontsFetcher(allowed_protocols=("file",))

else:  # pragma: no cover

    def _fetcher():
        from weasyprint import default_url_fetcher

        def fetch(url, *args, **kwargs):
            if _shipped_font(url) is None:
                raise ValueError(f"Documents may only use the shipped fonts, not {url}")
            return default_url_fetcher(url, *args, **kwargs)

        return fetch


def render_pdf(html: str) -> bytes:
    import weasyprint

    return weasyprint.HTML(
        string=html, base_url=FONT_DIR.as_uri() + "/", url_fetcher=_fetcher()
    ).write_pdf()
