"""The service answers, on both databases, through a real server."""

from tests.live import LiveServer


def test_health_reports_database_and_revision(live: LiveServer) -> None:
    response = live.client().get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] in ("sqlite", "postgresql")
    assert body["revision"]


def test_unknown_api_route_is_json_error(live: LiveServer) -> None:
    response = live.client().get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert set(response.json()["error"]) >= {"code", "message", "message_zh"}


def test_docs_page_and_its_assets_are_served_locally(live: LiveServer) -> None:
    client = live.client()
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "/static/swagger/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        assert client.get(f"/static/swagger/{asset}").status_code == 200
    assert client.get("/api/openapi.json").json()["info"]["title"]
