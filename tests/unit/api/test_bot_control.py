"""Control endpoints: bearer-token auth and lifecycle transitions through the real controller."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from imb_bot.api.app import create_app
from imb_bot.api.deps import Services
from imb_bot.config import load_settings
from imb_bot.engine.controller import BotController, ResumeRefusedError
from imb_bot.engine.status import BotStatus

TOKEN = "control-token-1234"


class _IdleWorker:
    name = "idle"

    def __init__(self) -> None:
        self.runs = 0

    async def run(self, stop: asyncio.Event) -> None:
        self.runs += 1
        await stop.wait()


class _RecordingHaltHook:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def on_halt(self, reason: str) -> None:
        self.calls.append(f"halt:{reason}")

    async def on_resume(self) -> None:
        self.calls.append("resume")


@pytest.fixture
def client_and_parts() -> Iterator[tuple[TestClient, _IdleWorker, _RecordingHaltHook]]:
    settings = load_settings(environ={"IMB_CONTROL_TOKEN": TOKEN})
    worker, hook = _IdleWorker(), _RecordingHaltHook()
    controller = BotController(BotStatus(mode="PAPER", symbols=["BTC/USDT"]), [worker], hook)
    app = create_app(settings, Services(settings=settings, controller=controller))
    with TestClient(app) as client:
        yield client, worker, hook


AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.mark.parametrize("action", ["start", "stop", "halt"])
def test_control_when_token_missing_or_wrong_returns_401(
    client_and_parts: tuple[TestClient, _IdleWorker, _RecordingHaltHook], action: str
) -> None:
    client, _, _ = client_and_parts
    assert client.post(f"/bot/{action}").status_code == 401
    wrong = client.post(f"/bot/{action}", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert TOKEN not in wrong.text


def test_control_when_no_token_configured_refuses_every_request() -> None:
    settings = load_settings(environ={})
    controller = BotController(BotStatus(mode="PAPER", symbols=["BTC/USDT"]), [])
    app = create_app(settings, Services(settings=settings, controller=controller))
    with TestClient(app) as client:
        response = client.post("/bot/start", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 403
    assert "IMB_CONTROL_TOKEN" in response.json()["detail"]


def test_start_halt_resume_stop_when_token_valid_moves_through_states(
    client_and_parts: tuple[TestClient, _IdleWorker, _RecordingHaltHook],
) -> None:
    client, worker, hook = client_and_parts
    assert client.get("/status").json()["state"] == "stopped"

    assert client.post("/bot/start", headers=AUTH).json()["state"] == "running"
    assert worker.runs == 1

    halted = client.post("/bot/halt", headers=AUTH).json()
    assert halted["state"] == "halted"
    assert halted["halt_reason"] == "operator request via API"

    assert client.post("/bot/start", headers=AUTH).json()["state"] == "running"
    assert worker.runs == 1  # resumed, not restarted
    assert hook.calls == ["halt:operator request via API", "resume"]

    assert client.post("/bot/stop", headers=AUTH).json()["state"] == "stopped"
    status = client.get("/status").json()
    assert status["state"] == "stopped"
    assert status["mode"] == "PAPER"


def test_status_when_no_engine_returns_503() -> None:
    settings = load_settings(environ={})
    with TestClient(create_app(settings)) as client:
        assert client.get("/status").status_code == 503


def test_start_when_resume_is_refused_answers_409_with_the_reason() -> None:
    class _RefusingHook(_RecordingHaltHook):
        async def on_resume(self) -> None:
            raise ResumeRefusedError("position BTC/USDT is 0.1 BTC but the exchange holds 0")

    settings = load_settings(environ={"IMB_CONTROL_TOKEN": TOKEN})
    controller = BotController(
        BotStatus(mode="LIVE_TESTNET", symbols=["BTC/USDT"]), [_IdleWorker()], _RefusingHook()
    )
    app = create_app(settings, Services(settings=settings, controller=controller))
    with TestClient(app) as client:
        client.post("/bot/start", headers=AUTH)
        client.post("/bot/halt", headers=AUTH)
        refused = client.post("/bot/start", headers=AUTH)
        assert refused.status_code == 409
        assert "exchange holds 0" in refused.json()["detail"]
        assert client.get("/status").json()["state"] == "halted"
        client.post("/bot/stop", headers=AUTH)
