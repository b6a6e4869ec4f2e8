"""KPIs, the sales plan and the rating of a team, as ``fairlead.kpi`` computes them."""

from __future__ import annotations

from fastapi import APIRouter

api = APIRouter(prefix="/v1", tags=["kpi"])
