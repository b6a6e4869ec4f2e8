"""Schemathesis over the service's own ``/openapi.json``: never a 5xx, every error in one shape.

Every operation the service documents gets a bounded number of generated requests
(schemathesis' positive and negative modes: values the schema allows and values it
does not) sent with an admin key to one app on a SQLite file, shared by the module.
Each answer must be below 500, and every 4xx must be the API's JSON error
``{"error": {"status", "message", ...}}`` with its own status, a message in words and no
traceback or library type in it. A change the service accepts must leave a team it
can still route for (``GET /v1/status`` answers 200). Path ids are sometimes those of
the team's real managers and leads, so the requests reach past the 404s. An
``InputWarning`` (a manager over their limit: accepted, by design) is no failure here.

The number of examples per operation follows the Hypothesis profile (``default``: a
dozen; ``HYPOTHESIS_PROFILE=thorough`` for a longer hunt).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

import fairlead as fl
from fairlead.service import ServiceConfig, create_app, create_key, create_team
from fairlead.service._tables import absences

pytestmark = pytest.mark.filterwarnings("ignore::fairlead.InputWarning")

#: Requests per operation: a dozen by default, more under a longer Hypothesis profile.
EXAMPLES = max(8, settings.default.max_examples // 12)

#: The team every request is made for; the paths name the first three at times.
MANAGERS = [
    {"id": "anna", "name": "Anna", "level": "senior", "max_active_leads": 3,
     "skills": ["loans", "cards"]},
    {"id": "ben", "name": "Ben", "level": "middle", "max_active_leads": 3, "skills": ["loans"]},
    {"id": "cleo", "name": "Cleo", "level": "junior", "max_active_leads": 2, "skills": ["cards"]},
    {"id": "dora", "name": "Dora", "level": "middle", "max_active_leads": 4, "skills": []},
]  # fmt: skip
LEADS = ["lead-1", "lead-2"]
KNOWN_IDS = {"manager_id": ["anna", "ben", "cleo"], "lead_id": LEADS}

#: What no answer may show: a traceback, or the type of an error of a library below.
LEAKS = re.compile(
    r"Traceback|File \"|pydantic|ValidationError|sqlalchemy|psycopg|sqlite3|numpy|"
    r"IntegrityError|OperationalError|KeyError|IndexError|AttributeError|TypeError|"
    r"OverflowError|errors\.pydantic\.dev"
)


def _openapi() -> dict[str, Any]:
    """The document the service serves, read without starting it (no database opens)."""
    app = create_app(ServiceConfig(database_url="sqlite:///unused-by-the-schema.db", demo=False))
    response = TestClient(app).get("/openapi.json")
    assert response.status_code == 200, response.text
    return dict(response.json())


schema = schemathesis.openapi.from_dict(_openapi())


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    """Half of the time, the path names a real manager or lead of the team."""
    if not path_parameters:
        return st.just(path_parameters)
    known = {name: KNOWN_IDS[name] for name in path_parameters if name in KNOWN_IDS}
    if not known:
        return st.just(path_parameters)
    real = st.fixed_dictionaries({name: st.sampled_from(ids) for name, ids in known.items()})
    return st.one_of(st.just(path_parameters), real.map(lambda ids: {**path_parameters, **ids}))


@dataclass
class Service:
    """The app under test, its client (server errors answered, not raised) and keys."""

    client: TestClient
    db: Any
    keys: dict[str, str] = field(default_factory=dict)

    def headers(self, scope: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[scope]}"}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    path = Path(tmp_path_factory.mktemp("fuzz")) / "fairlead.db"
    config = ServiceConfig(
        database_url=f"sqlite:///{path}", demo=False, sweep_every=0, reprice_every=0
    )
    app = create_app(config)
    with TestClient(app, raise_server_exceptions=False) as client:
        db = app.state.service.db
        found = Service(client=client, db=db)
        with db.write() as conn:
            create_team(conn, "acme", managers=[fl.Manager(**m) for m in MANAGERS])
            for scope in ("read", "write", "admin"):
                found.keys[scope] = create_key(conn, "acme", scope)[1]
        for lead in LEADS:
            r = client.post("/v1/leads", json={"id": lead, "score": 0.5}, headers=found.headers())
            assert r.status_code == 200, r.text
        yield found
        db.dispose()


def restore(service: Service) -> None:
    """The team's settings, policy, absences and managers as at the start."""
    for path in ("/v1/settings", "/v1/policy"):
        r = service.client.put(path, json={}, headers=service.headers())
        assert r.status_code == 200, r.text
    with service.db.write() as conn:  # no route removes an absence
        conn.execute(absences.delete().where(absences.c.tenant_id == "acme"))
    for manager in MANAGERS:
        body = {k: v for k, v in manager.items() if k != "id"}
        r = service.client.put(
            f"/v1/managers/{manager['id']}", json=body, headers=service.headers()
        )
        assert r.status_code == 200, r.text
        r = service.client.post(f"/v1/managers/{manager['id']}/resume", headers=service.headers())
        assert r.status_code == 204, r.text


@pytest.fixture
def team_as_set_up(service: Service) -> Service:
    """The service with its team as at the start, for each operation."""
    restore(service)
    return service


def send(service: Service, case: schemathesis.Case) -> Any:
    """The case as the TestClient sends it, with the admin key."""
    given = case.as_transport_kwargs(base_url="http://testserver", headers=service.headers())
    body: dict[str, Any] = {}
    if "json" in given:
        body["content"] = json.dumps(given["json"]).encode()
    elif given.get("data") is not None:
        data = given["data"]
        body["content"] = data.encode() if isinstance(data, str) else data
    headers = {k: v.encode() if isinstance(v, str) else v for k, v in given["headers"].items()}
    return service.client.request(
        given["method"], given["url"], params=given.get("params"), headers=headers, **body
    )


def check_error_shape(response: Any) -> None:
    """A 4xx is the API's JSON error, with its status and a message in words."""
    if not 400 <= response.status_code < 500:
        return
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["status"] == response.status_code, body
    assert isinstance(error["message"], str), body
    assert error["message"], body
    assert set(error) <= {"status", "message", "field", "id", "value", "request_id"}, body
    assert error["request_id"] == response.headers["x-request-id"], body
    for name in ("field", "id"):
        assert error.get(name) is None or isinstance(error[name], str), body
    assert not LEAKS.search(response.text), response.text


def check_team_still_works(service: Service, case: schemathesis.Case, response: Any) -> None:
    """A change the service accepted leaves a team it can still route for."""
    if response.status_code >= 300 or case.method.upper() == "GET":
        return
    after = service.client.get("/v1/status", headers=service.headers())
    if after.status_code != 200:
        restore(service)  # the next example starts from a working team again
        pytest.fail(
            f"{case.method} {case.formatted_path} answered {response.status_code} to "
            f"{case.body!r}, and then the team answers every request with "
            f"{after.status_code}: {after.text}"
        )


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_every_error_in_the_api_shape(
    case: schemathesis.Case, team_as_set_up: Service
) -> None:
    response = send(team_as_set_up, case)
    case.validate_response(response, checks=[not_a_server_error])
    check_error_shape(response)
    check_team_still_works(team_as_set_up, case, response)
