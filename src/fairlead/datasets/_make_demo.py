"""Regenerate the embedded demo data: ``python -m fairlead.datasets._make_demo``.

A fictional bank's retail sales team: 8 managers with product certifications,
experience levels, open leads and client portfolios, and 200 new leads from
several sources. Seeded, so the files are reproducible byte for byte.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
SEED = 20261127

MANAGERS = [
    # id, name, skills, level, max_active_leads, active_leads, portfolio_size, available
    ("m-1", "Anna Petrova", "mortgage;loans;insurance", "senior", 70, 22, 140, True),
    ("m-2", "Boris Ivanov", "mortgage;loans;cards", "senior", 65, 30, 120, True),
    ("m-3", "Clara Smirnova", "loans;cards;insurance", "middle", 60, 18, 80, True),
    ("m-4", "Denis Kuznetsov", "mortgage;cards", "middle", 60, 26, 95, True),
    ("m-5", "Elena Popova", "loans;cards", "junior", 55, 12, 30, True),
    ("m-6", "Fedor Volkov", "cards;insurance", "junior", 50, 20, 25, True),
    ("m-7", "Galina Sokolova", "loans;cards;insurance", "trainee", 45, 5, 0, True),
    ("m-8", "Igor Lebedev", "mortgage;loans;cards", "middle", 50, 10, 70, False),
]

SOURCES = {  # source: (share of leads, beta a, beta b) for the lead score
    "referral": (0.15, 5.0, 4.0),
    "website_form": (0.30, 3.0, 5.0),
    "partner": (0.15, 4.0, 5.0),
    "ads": (0.25, 2.0, 6.0),
    "cold_call": (0.15, 1.2, 8.0),
}
PRODUCTS = {"mortgage": 0.2, "loans": 0.3, "cards": 0.35, "insurance": 0.15}


def main() -> None:
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
    n = 200
    names = list(SOURCES)
    source = rng.choice(len(names), size=n, p=[SOURCES[s][0] for s in names])
    products = list(PRODUCTS)
    product = rng.choice(len(products), size=n, p=list(PRODUCTS.values()))
    start = np.datetime64("2026-11-23T08:00")
    minutes = np.sort(rng.integers(0, 4 * 24 * 60, size=n))
    deal = {"mortgage": 9000.0, "loans": 2500.0, "cards": 400.0, "insurance": 1200.0}
    with (HERE / "demo_leads.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "score", "product", "source", "deal_value", "created_at"])
        for i in range(n):
            s = names[source[i]]
            a, b = SOURCES[s][1], SOURCES[s][2]
            score = float(rng.beta(a, b))
            p = products[product[i]]
            value = deal[p] * float(rng.lognormal(0.0, 0.4))
            when = str(start + np.timedelta64(int(minutes[i]), "m"))
            w.writerow([f"l-{i + 1:03d}", f"{score:.3f}", p, s, f"{value:.0f}", when])
    policy = {
        "target_share": "capacity",
        "balance_tolerance": 0.1,
        "qualification_required": True,
        "hot_min_level": "middle",
        "portfolio_load": 0.1,
    }
    (HERE / "demo_policy.json").write_text(json.dumps(policy, indent=2) + "\n")


if __name__ == "__main__":
    main()
