"""A CRM's own export of its leads (CSV, or the "Excel" file that is an HTML table).

Bitrix24 writes ``;``-separated CSV, every cell quoted and a ``;`` at each line's end,
with Russian (or English) column names that changed between versions (``Стадия`` was
``Статус``); its "Excel" export is an HTML table. amoCRM writes comma-separated CSV
whose header repeats some names (a lead's and its contact's custom fields). Both
show names, not ids: stages, sources and owners as people read them. So columns are
found by a table of their names in both languages, the first of repeated names is
the lead's, the separator and the encoding (UTF-8, with or without BOM, or
Windows-1251) are found from the file, and a value that cannot be read names the
file, the line, the column and the value.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, tzinfo
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

from fairlead.connectors._records import CrmLead, Outcome
from fairlead.records import FileError

#: Column names by field, per CRM: the first found in the header is used.
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "bitrix24": {
        "id": ("ID",),
        "title": ("Название лида", "Название", "Lead name", "Title"),
        "stage": ("Стадия", "Статус", "Stage", "Status"),
        "source": ("Источник", "Source"),
        "owner": ("Ответственный", "Responsible", "Responsible person"),
        "created": ("Дата создания", "Created", "Date created"),
        "modified": ("Дата изменения", "Modified", "Date modified"),
        "closed": ("Дата завершения", "Дата закрытия", "Closed", "Date closed"),
        "amount": ("Сумма", "Возможная сумма", "Opportunity", "Amount"),
        "currency": ("Валюта", "Currency"),
    },
    "kommo": {
        "id": ("ID",),
        "title": ("Название сделки", "Lead name", "Name"),
        "stage": ("Этап сделки", "Lead stage", "Stage", "Status"),
        "source": ("Источник", "Source"),
        "owner": ("Ответственный", "Responsible user", "Lead owner"),
        "created": ("Дата создания сделки", "Date created", "Created"),
        "modified": ("Дата редактирования", "Date modified", "Modified"),
        "closed": ("Дата закрытия", "Closing date", "Date closed"),
        "amount": ("Бюджет", "Бюджет ₽", "Sale", "Budget", "Price"),
        "currency": ("Валюта", "Currency"),
    },
}
#: Stage names that close a lead as won or lost, per CRM (the defaults of each).
OUTCOMES: dict[str, dict[str, Outcome]] = {
    "bitrix24": {
        "качественный лид": "won", "сконвертирован": "won", "converted": "won",
        "qualified lead": "won", "некачественный лид": "lost", "junk lead": "lost",
        "low-quality lead": "lost", "junk": "lost",
    },
    "kommo": {
        "успешно реализовано": "won", "closed - won": "won", "won": "won", "142": "won",
        "закрыто и не реализовано": "lost", "closed - lost": "lost", "lost": "lost",
        "143": "lost",
    },
}  # fmt: skip
#: Date formats seen in exports (day first), tried in order.
DATE_FORMATS = (
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
)
REQUIRED = ("id", "created")


def read_export(
    path: str | Path,
    crm: str,
    *,
    timezone: str | tzinfo = "UTC",
    won: Iterable[str] = (),
    lost: Iterable[str] = (),
) -> list[CrmLead]:
    r"""The leads of a CRM's export file.

    Parameters
    ----------
    path : str or Path
        The file as the CRM exported it (CSV, or Bitrix24's HTML "Excel").
    crm : {"bitrix24", "kommo"}
    timezone : str or tzinfo, default "UTC"
        The CRM account's time zone: exported times carry none.
    won, lost : iterable of str
        Stage names (as shown in the file) that mean won / lost, besides the CRM's
        default ones (``Качественный лид`` / ``Некачественный лид``, ``Успешно
        реализовано`` / ``Закрыто и не реализовано``, and their English names).

    Returns
    -------
    list of CrmLead
        ``owner`` and ``stage`` are the names the file shows.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = ('"ID";"Название лида";"Стадия";"Ответственный";"Дата создания";"Сумма";\n'
    ...         '"17";"Сайт";"Качественный лид";"Анна Петрова";"02.11.2026 09:30:00";"12500";\n')
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "leads.csv"
    >>> _ = path.write_text(text, encoding="utf-8-sig")
    >>> [lead] = read_export(path, "bitrix24", timezone="Europe/Moscow")
    >>> lead.crm_id, lead.owner, lead.outcome, lead.amount, lead.created_at.isoformat()
    ('17', 'Анна Петрова', 'won', 12500.0, '2026-11-02T09:30:00+03:00')
    """
    if crm not in COLUMNS:
        known = ", ".join(sorted(COLUMNS))
        raise FileError(f"no export format for CRM {crm!r}; known: {known}", source=str(path))
    source = str(path)
    zone = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
    outcomes = dict(OUTCOMES[crm])
    outcomes.update({name.strip().lower(): "won" for name in won})
    outcomes.update({name.strip().lower(): "lost" for name in lost})
    rows = _rows(Path(path), source)
    if not rows:
        raise FileError(f"{source}: the file is empty", source=source)
    where = _columns(rows[0], crm, source)
    out = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = {name: (row[i].strip() if i < len(row) else "") for name, i in where.items()}
        crm_id = cell["id"]
        if not crm_id:
            raise FileError(f"{source}, line {line}: the lead has no ID", source=source,
                            line=line, field=rows[0][where["id"]], value=crm_id)  # fmt: skip
        stage = cell.get("stage") or None
        outcome = outcomes.get(stage.lower()) if stage else None
        created = _time(cell, "created", zone, source, line, rows[0], where)
        out.append(
            CrmLead(
                crm_id=crm_id,
                fields={rows[0][i]: row[i] for i in range(min(len(row), len(rows[0])))},
                owner=cell.get("owner") or None,
                stage=stage,
                outcome=outcome,
                created_at=created,
                modified_at=_time(cell, "modified", zone, source, line, rows[0], where),
                closed_at=_closed(cell, outcome, zone, source, line, rows[0], where),
                amount=_amount(cell, source, line, rows[0], where),
                currency=cell.get("currency") or None,
                title=cell.get("title") or None,
                source=cell.get("source") or None,
            )
        )
    return out


def _rows(path: Path, source: str) -> list[list[str]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FileError(f"{source}: cannot be read ({exc.strerror})", source=source) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1251")  # older on-premise portals write Windows-1251
    head = text.lstrip()[:2000].lower()
    if head.startswith(("<html", "<meta", "<table", "<!doctype")) or "<table" in head:
        return _html_rows(text)
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    # Bitrix24 ends every line with the separator: an empty last column, not data.
    if rows and rows[0] and rows[0][-1] == "":
        rows = [r[:-1] if r and r[-1] == "" else r for r in rows]
    return rows


class _Table(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: Sequence[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _html_rows(text: str) -> list[list[str]]:
    table = _Table()
    table.feed(text)
    return [row for row in table.rows if row]


def _columns(header: list[str], crm: str, source: str) -> dict[str, int]:
    names = [h.strip().lstrip("\ufeff") for h in header]
    where: dict[str, int] = {}
    for field, synonyms in COLUMNS[crm].items():
        for synonym in synonyms:
            if synonym in names:
                where[field] = names.index(synonym)  # the first of repeated names
                break
    missing = [f for f in REQUIRED if f not in where]
    if missing:
        wanted = " or ".join(repr(s) for s in COLUMNS[crm][missing[0]])
        raise FileError(
            f"{source}: no column {wanted} in the header (a {crm} export of leads has one)",
            source=source,
            line=1,
            field=missing[0],
        )
    return where


def _time(
    cell: Mapping[str, str],
    name: str,
    zone: tzinfo,
    source: str,
    line: int,
    header: list[str],
    where: Mapping[str, int],
) -> datetime | None:
    text = cell.get(name, "")
    if not text:
        return None
    try:
        found = datetime.fromisoformat(text)
        return found if found.tzinfo is not None else found.replace(tzinfo=zone)
    except ValueError:
        pass
    for form in DATE_FORMATS:
        try:
            return datetime.strptime(text, form).replace(tzinfo=zone)
        except ValueError:
            continue
    column = header[where[name]]
    raise FileError(
        f"{source}, line {line}, column {column!r}: {text!r} is not a date "
        "(day.month.year hours:minutes)",
        source=source,
        line=line,
        field=column,
        value=text,
    )


def _closed(
    cell: Mapping[str, str],
    outcome: Outcome | None,
    zone: tzinfo,
    source: str,
    line: int,
    header: list[str],
    where: Mapping[str, int],
) -> datetime | None:
    """When a closed lead closed: its closing date, else its last change (exports vary)."""
    if outcome is None:
        return None
    closed = _time(cell, "closed", zone, source, line, header, where)
    return closed or _time(cell, "modified", zone, source, line, header, where)


def _amount(
    cell: Mapping[str, str], source: str, line: int, header: list[str], where: Mapping[str, int]
) -> float | None:
    text = cell.get("amount", "")
    if not text:
        return None
    # "12 500,00", "12500.00", "12 500 ₽": spaces (also non-breaking) and a currency sign.
    cleaned = "".join(ch for ch in text if ch.isdigit() or ch in ",.-")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    cleaned = cleaned.replace(",", "")
    try:
        return float(cleaned)
    except ValueError:
        column = header[where["amount"]]
        raise FileError(
            f"{source}, line {line}, column {column!r}: {text!r} is not an amount",
            source=source, line=line, field=column, value=text,
        ) from None  # fmt: skip
