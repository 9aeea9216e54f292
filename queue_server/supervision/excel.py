"""The CSVs for Excel on an Indonesian Windows (`?excel=1`): what an office opens by a double click. The plain CSV
stays as scripts read it (English column names, `.` decimals, `08:00`); this variant is for people: ';' between
cells (the list separator there), a decimal comma, a time as Indonesian writes it (`08.00`), the column names and
the group words in the page's language (Indonesian unless `lang=en`), and a UTF-8 byte order mark (without it,
names with non-ASCII letters come out garbled). Column words: `[csv_column]` and `[csv_group]` of
common/messages.toml."""

from __future__ import annotations

import csv
import io
import re

from queue_server.common import messages
from queue_server.common.plaintext import spreadsheet_row
from queue_server.domain import skm

_DECIMAL = re.compile(r"^-?\d+\.\d+$")
_TIME = re.compile(r"^\d{2}:\d{2}$")
_GROUP_COLUMNS = ("group", "level", "site", "province", "kind")  # the first column names what a line is of


def for_excel(text: str, lang: str) -> str:
    """The plain CSV `text` as Excel on an Indonesian Windows reads it, its headings in `lang` ("id" or "en")."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    heading = True  # the first line, and the first after an empty one, name columns
    grouped = False
    for row in csv.reader(io.StringIO(text)):
        if not row:
            writer.writerow(row)
            heading = True
            continue
        if heading:
            grouped = row[0] in _GROUP_COLUMNS
            writer.writerow([column_word(cell, lang) for cell in row])
            heading = False
            continue
        cells = [_cell(cell) for cell in row]
        if grouped:
            cells[0] = group_word(cells[0], lang)
        writer.writerow(spreadsheet_row(cells))
    return "\ufeff" + out.getvalue()


def _cell(cell: str) -> str:
    if _DECIMAL.match(cell):
        return cell.replace(".", ",")
    if _TIME.match(cell):
        return cell.replace(":", ".")
    return cell


def column_word(column: str, lang: str) -> str:
    """A column's name for people: "Rerata tunggu (menit)" for `wait_mean_min`; an element's NRR by its number and
    name ("NRR U1 Persyaratan"); a column without words keeps its name (logged by messages.text)."""
    if column.startswith("nrr_"):
        for number, element in enumerate(skm.ELEMENTS, start=1):
            if column == f"nrr_{element.id}":
                return f"NRR U{number} {element.name_en if lang == 'en' else element.name}"
    return messages.text("csv_column", column, lang, {})


def group_word(value: str, lang: str) -> str:
    """What a line is of, in words ("instansi", "layanan"...); a mall's, province's or kind's id stays as it is."""
    words = messages.catalogue().get("csv_group", {}).get(value)
    return words[lang] if words else value
