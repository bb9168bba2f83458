"""What every Excel export shares: text is written as text, never run as a formula.

A unit, member or indicator name, a note or an explanation that starts with
=, +, -, @, a tab or a carriage return would be a formula to Excel,
LibreOffice or a later CSV export (formula injection). Such cells are made
strings with Excel's quote prefix, so they stay text even when someone edits
them. Control characters cannot be stored in xlsx at all and are dropped.
"""

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def clean_text(value):
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def keep_as_text(cell) -> None:
    """Make a cell whose text looks like a formula a plain, quote-prefixed string."""
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True


def append_row(sheet, values) -> None:
    """Append a row whose text Excel shows as typed and never runs as a formula."""
    sheet.append([(clean_text(v) or None) if isinstance(v, str) else v for v in values])
    for cell in sheet[sheet.max_row]:
        keep_as_text(cell)
