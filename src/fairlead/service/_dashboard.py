"""The head of sales' dashboard: server-rendered, live, in English and Russian."""

from __future__ import annotations

from fastapi import APIRouter

api = APIRouter(tags=["dashboard"])
