"""Regenerate the embedded demo data: ``python -m fairlead.datasets._make_demo``.

A fictional bank's retail sales team: 8 managers with product certifications,
experience levels, open leads and client portfolios; 12 weeks of worked leads
(the history), 200 new leads with their activity, and the team's client base
(purchases and last contacts). Everything is drawn from one seeded generative
model, so the files are reproducible byte for byte:

- each lead has a latent interest ``z`` (shifted by its source); its activity
  (response time, events, contacts) is noisy evidence of ``z``;
- its conversion probability with an average manager is ``sigmoid(-1.9 + 1.1 z)``;
- manager ``j`` adds a log-odds lift that depends on the lead's heat (seniors gain
  most on hot leads, trainees lose most there) and on the product (certified
  products only);
- history leads were dealt round robin among the qualified managers (no
  cherry-picking), so their outcomes show each manager's lift without bias.

The new leads' ``score`` and ``tier`` are what :data:`fairlead.scoring.DEFAULT_RULES`
points, calibrated on the history with isotonic regression, give them.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).parent
SEED = 20261127
NOW = datetime(2026, 11, 27, 8, 0)  # fairlead.datasets.DEMO_NOW

MANAGERS = [
    # id, name, skills, level, max_active_leads, active_leads, portfolio_size, available
    ("m-1", "Anna Petrova", "mortgage;loans;insurance", "senior", 75, 22, 140, True),
    ("m-2", "Boris Ivanov", "mortgage;loans;cards", "senior", 70, 30, 120, True),
    ("m-3", "Clara Smirnova", "loans;cards;insurance", "middle", 65, 18, 80, True),
    ("m-4", "Denis Kuznetsov", "mortgage;cards", "middle", 65, 26, 95, True),
    ("m-5", "Elena Popova", "loans;cards", "junior", 60, 12, 30, True),
    ("m-6", "Fedor Volkov", "cards;insurance", "junior", 55, 20, 25, True),
    ("m-7", "Galina Sokolova", "loans;cards;insurance", "trainee", 50, 5, 0, True),
    ("m-8", "Igor Lebedev", "mortgage;loans;cards", "middle", 50, 10, 70, False),
]
# Log-odds lift on hot / warm / cold leads by level (hot = high interest).
LEVEL_LIFT = {
    "senior": (0.6, 0.25, 0.0),
    "middle": (0.2, 0.1, 0.0),
    "junior": (-0.3, 0.0, 0.05),
    "trainee": (-0.7, -0.15, 0.1),
}
SOURCES = {  # share of leads, shift of the latent interest
    "referral": (0.15, 0.8),
    "website": (0.30, 0.3),
    "partner": (0.15, 0.4),
    "paid_ads": (0.25, -0.2),
    "cold_call": (0.15, -0.9),
}
PRODUCTS = {"mortgage": 0.2, "loans": 0.3, "cards": 0.35, "insurance": 0.15}
DEAL = {"mortgage": 9000.0, "loans": 2500.0, "cards": 400.0, "insurance": 1200.0}
EVENTS = (
    "demo_request",
    "form_submit",
    "pricing_page_view",
    "email_click",
    "email_open",
    "site_visit",
)


def _leads(rng: np.random.Generator, n: int, start: datetime, days: float) -> list[dict[str, Any]]:
    names = list(SOURCES)
    source = rng.choice(len(names), size=n, p=[SOURCES[s][0] for s in names])
    products = list(PRODUCTS)
    product = rng.choice(len(products), size=n, p=list(PRODUCTS.values()))
    z = rng.normal(size=n) + np.array([SOURCES[names[k]][1] for k in source])
    minutes = np.sort(rng.uniform(0, days * 24 * 60, size=n))
    response = np.exp(rng.normal(4.0 - 1.1 * z, 1.2))
    answered = rng.random(n) < 1 / (1 + np.exp(-(1.0 + z)))
    leads = []
    for i in range(n):
        zi = float(z[i])
        p = products[product[i]]
        lead: dict[str, Any] = {
            "source": names[source[i]],
            "product": p,
            "created_at": (start + timedelta(minutes=float(minutes[i]))).isoformat(
                timespec="minutes"
            ),
            "response_minutes": f"{response[i]:.0f}" if answered[i] else "",
            "demo_request": int(rng.random() < 1 / (1 + np.exp(-(1.6 * zi - 3.2)))),
            "form_submit": int(rng.random() < 1 / (1 + np.exp(-(zi - 1.5)))),
            "pricing_page_view": int(rng.poisson(np.exp(0.6 * zi - 1.0))),
            "email_click": int(rng.poisson(np.exp(0.4 * zi - 0.8))),
            "email_open": int(rng.poisson(0.7)),
            "site_visit": int(rng.poisson(np.exp(0.3 * zi - 0.2))),
            "purchases": int(rng.poisson(0.3)),
            "spend": 0,
            "contacts": int(rng.poisson(np.exp(0.4 * zi - 0.5))),
            "deal_value": f"{DEAL[p] * float(rng.lognormal(0.0, 0.4)):.0f}",
            "_z": zi,
        }
        lead["spend"] = f"{lead['purchases'] * DEAL[p] * 0.1 * float(rng.lognormal(0, 0.3)):.0f}"
        leads.append(lead)
    return leads


def _heat(z: float) -> int:
    return 0 if z > 1.0 else (1 if z > 0.0 else 2)


def _lift(manager: tuple[Any, ...], lead: dict[str, Any], skill: dict[str, float]) -> float:
    return LEVEL_LIFT[manager[3]][_heat(lead["_z"])] + skill[lead["product"]]


def _write(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    from fairlead.scoring import RuleScorer

    rng = np.random.default_rng(SEED)
    with (HERE / "demo_managers.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "id",
                "name",
                "skills",
                "level",
                "max_active_leads",
                "active_leads",
                "portfolio_size",
                "available",
            ]
        )
        for row in MANAGERS:
            w.writerow(["true" if x is True else "false" if x is False else x for x in row])
    skills = {
        m[0]: {p: float(rng.normal(0.0, 0.25)) if p in m[2] else 0.0 for p in PRODUCTS}
        for m in MANAGERS
    }

    # History: 12 weeks, dealt round robin among managers certified for the product.
    history = _leads(rng, 2400, NOW - timedelta(days=98), 84)
    for k, lead in enumerate(history):
        lead["id"] = f"h-{k + 1:04d}"
        qualified = [m for m in MANAGERS if lead["product"] in m[2]]
        manager = qualified[k % len(qualified)]
        base = -1.9 + 1.1 * lead["_z"]
        p = 1 / (1 + np.exp(-(base + _lift(manager, lead, skills[manager[0]]))))
        lead["manager_id"] = manager[0]
        lead["converted"] = int(rng.random() < p)
        lead["first_response_minutes"] = f"{float(rng.lognormal(3.0, 0.8)):.0f}"
        if not lead["converted"]:
            lead["deal_value"] = ""
    activity = [
        "source",
        "product",
        "created_at",
        "response_minutes",
        *EVENTS,
        "purchases",
        "spend",
        "contacts",
    ]
    _write(
        HERE / "demo_history.csv",
        history,
        ["id", *activity, "manager_id", "converted", "deal_value", "first_response_minutes"],
    )

    # New leads: the last four days; scored by the calibrated default rules.
    new = _leads(rng, 200, NOW - timedelta(days=4), 4)
    for k, lead in enumerate(new):
        lead["id"] = f"l-{k + 1:03d}"
    _write(HERE / "demo_lead_activity.csv", new, ["id", *activity])
    history_records = _read(HERE / "demo_history.csv")
    activity_records = _read(HERE / "demo_lead_activity.csv")
    created = [datetime.fromisoformat(r["created_at"]) for r in history_records]
    scorer = RuleScorer().fit(
        history_records, [int(r["converted"]) for r in history_records], now=created
    )
    score = scorer.predict_proba(activity_records, now=NOW)
    tier = scorer.tier(activity_records, now=NOW)
    for lead, s, t in zip(new, score, tier, strict=True):
        lead["score"] = f"{s:.3f}"
        lead["tier"] = str(t)
    _write(
        HERE / "demo_leads.csv",
        new,
        ["id", "score", "tier", "product", "source", "deal_value", "created_at"],
    )

    # Client base: each manager's portfolio with purchases over two years.
    clients: list[dict[str, Any]] = []
    transactions: list[dict[str, Any]] = []
    for manager in MANAGERS:
        for c in range(int(manager[6])):
            cid = f"c-{manager[0][2:]}-{c + 1:03d}"
            loyalty = rng.gamma(1.5, 1.0)
            n_tx = 1 + rng.poisson(2.0 * loyalty)
            first = NOW - timedelta(days=float(rng.uniform(30, 730)))
            gaps = np.sort(
                rng.uniform(0, (NOW - first).days * min(1.0, 0.4 * loyalty + 0.3), size=n_tx - 1)
            )
            for day in [0.0, *gaps.tolist()]:
                transactions.append(
                    {
                        "customer_id": cid,
                        "date": (first + timedelta(days=day)).date().isoformat(),
                        "amount": f"{float(rng.lognormal(5.5, 0.7)):.2f}",
                    }
                )
            # A purchase is a contact too: the last contact is never before it.
            last_purchase = first + timedelta(days=float(gaps[-1]) if gaps.size else 0.0)
            called = NOW - timedelta(days=float(rng.exponential(25.0)) + 1)
            last_contact = max(called, last_purchase)
            clients.append(
                {
                    "customer_id": cid,
                    "manager_id": manager[0],
                    "last_contact": last_contact.date().isoformat(),
                }
            )
    _write(HERE / "demo_transactions.csv", transactions, ["customer_id", "date", "amount"])
    _write(HERE / "demo_clients.csv", clients, ["customer_id", "manager_id", "last_contact"])

    policy = {
        "target_share": "capacity",
        "balance_tolerance": 0.1,
        "qualification_required": True,
        "hot_min_level": "middle",
        "portfolio_load": 0.1,
        "touch_load": 0.25,
    }
    (HERE / "demo_policy.json").write_text(json.dumps(policy, indent=2) + "\n")


def _cell(text: str) -> Any:
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _read(path: Path) -> list[dict[str, Any]]:
    with path.open(newline="") as f:
        return [{k: _cell(v) for k, v in row.items()} for row in csv.DictReader(f)]


if __name__ == "__main__":
    main()
