"""Running the simulator with uvicorn (uvloop + httptools) and making demo credentials."""

from __future__ import annotations

import secrets
import socket
import string

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from imb_bot.exchange.sim.app import TRANSPORT_SCOPE_KEY, SimApp
from imb_bot.exchange.sim.config import SimConfig
from imb_bot.exchange.sim.venue import Credentials, SimExchange

__all__ = ["SimHttpProtocol", "bind_socket", "build_server", "demo_credentials"]

_ALPHABET = string.ascii_letters + string.digits


class SimHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol that also puts the transport into the scope.

    The ``drop`` fault needs it to close the connection without sending any response.
    """

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self.scope[TRANSPORT_SCOPE_KEY] = self.transport  # type: ignore[literal-required]


def demo_credentials() -> Credentials:
    """Return a fresh random 64-character key pair, like Binance's."""
    return Credentials(
        api_key="".join(secrets.choice(_ALPHABET) for _ in range(64)),
        api_secret="".join(secrets.choice(_ALPHABET) for _ in range(64)),
    )


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind a listening TCP socket (port 0 picks a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def build_server(
    config: SimConfig, credentials: Credentials, *, log_level: str = "warning"
) -> tuple[uvicorn.Server, SimExchange]:
    """Create the exchange and a uvicorn server for it (not started)."""
    exchange = SimExchange(config, credentials)
    app = SimApp(exchange)
    uv_config = uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        loop="uvloop",
        http=SimHttpProtocol,
        lifespan="off",
        access_log=False,
        log_level=log_level,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=1,
        timeout_keep_alive=30,
    )
    return uvicorn.Server(uv_config), exchange
