"""The report's rating section: the managers ranked, each part with its figure and score.

Reads a :class:`~fairlead.kpi._rating.Rating`: rows best first, each part's figure
(plan done, conversion, median first reply, client satisfaction) and its score
against the team (1.00 = the team's level), the weights, the ties and what a row
leaves out. Figures carry ``data-metric`` ``rating:<name>``.
"""

from __future__ import annotations

import math
from datetime import timedelta

from fairlead.kpi._rating import PARTS, Rating
from fairlead.kpi._report_model import Cell, Section, Table, Text
from fairlead.kpi._report_page import Page

#: How each part's own figure is written.
_UNITS = {"plan": "share", "conversion": "share", "response": "minutes", "csat": "score"}


def _window(rating: Rating) -> str:
    return f"{rating.start.isoformat()}..{(rating.end - timedelta(days=1)).isoformat()}"


def rating_section(page: Page, rating: Rating) -> Section:
    """The rating table, how the score is made, and how ties are broken."""
    w, fmt = page.words, page.fmt
    parts = [p for p in PARTS if rating.weights.get(p, 0.0) > 0]
    weights = ", ".join(f"{w[f'part_{p}']} {fmt.percent(rating.weights[p])}" for p in parts)
    window = fmt.span(rating.start, rating.end - timedelta(days=1))
    section = Section("rating", w["rating"], w("rating_intro", weights=weights, window=window))
    if not rating.rows:
        section.blocks.append(Text(w["rating_none"]))
        return section
    period = _window(rating)
    notes = [row.note(w.lang) for row in rating.rows]
    shared = notes[0] if len(set(notes)) == 1 and notes[0] else ""
    columns = [
        page.column("rank"),
        page.column("manager", numeric=False),
        page.column("rating_score"),
        *[page.column(f"rating_{p}") for p in parts],
    ]
    if not shared and any(notes):
        columns.append(page.column("rating_note", numeric=False))
    rows = []
    for row, note in zip(rating.rows, notes, strict=True):
        who = row.manager_id
        cells = [
            page.figure("rating:rank", row.rank, who, period, unit="count"),
            page.manager_cell(who),
            page.figure(
                "rating:score",
                row.score,
                who,
                period,
                tone=_tone(row.score),
                text=fmt.number(row.score, 3),  # ties are equal scores to three decimals
            ),
        ]
        for p in parts:
            cells.append(
                _part(
                    page, p, row.figures.get(p, math.nan), row.parts.get(p, math.nan), who, period
                )
            )
        if not shared and any(notes):
            cells.append(Cell(note))
        rows.append(tuple(cells))
    team = [
        Cell(""),
        page.team_cell(),
        page.figure("rating:score", 1.0, None, period, unit="ratio"),
    ]
    for p in parts:
        team.append(_part(page, p, rating.team.get(p, math.nan), 1.0, None, period))
    if not shared and any(notes):
        team.append(Cell(""))
    # the first column of a row is its heading: here the place
    section.blocks.append(Table(tuple(columns), tuple(rows), tuple(team), name="rating"))
    if shared:
        section.blocks.append(Text(shared))
    section.blocks.append(Text(w["rating_ties"]))
    for en, ru in rating.notes:
        section.blocks.append(Text(ru if w.lang == "ru" else en, tone="warn"))
    return section


def _part(
    page: Page, part: str, figure: float, score: float, manager: str | None, period: str
) -> Cell:
    """A part's own figure and its score against the team, in one cell."""
    shown = page.figure(f"rating:{part}", figure, manager, period, unit=_UNITS[part])
    against = page.figure(f"rating:{part}_score", score, manager, period, unit="ratio")
    if math.isnan(figure) and math.isnan(score):
        return Cell(shown.text, shown.metric, shown.manager, shown.period, shown.value)
    return Cell(" → ", parts=(shown, against), tone=_tone(score))


def _tone(score: float) -> str:
    if math.isnan(score):
        return ""
    return "good" if score >= 1.1 else "bad" if score < 0.8 else ""
