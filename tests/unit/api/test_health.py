from fastapi.testclient import TestClient

from imb_bot import __version__
from imb_bot.api.app import create_app
from imb_bot.config import load_settings


def test_health_when_called_returns_ok_and_version() -> None:
    client = TestClient(create_app(load_settings(environ={})))
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}


def test_openapi_lists_health_operation() -> None:
    client = TestClient(create_app(load_settings(environ={})))
    schema = client.get("/openapi.json").json()
    assert schema["paths"]["/health"]["get"]["operationId"] == "getHealth"
    assert client.get("/docs").status_code == 200
