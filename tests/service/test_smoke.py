def test_route_one_lead(team):
    r = team.client.post("/v1/leads", json={"id": "l-1", "score": 0.8}, headers=team.headers())
    assert r.status_code == 200, r.text
    assert r.json()["manager_id"] == "anna"
