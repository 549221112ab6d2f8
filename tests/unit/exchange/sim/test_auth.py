import pytest

from imb_bot.exchange.sim.auth import check_timestamp, sign, signed_payload, verify_signature
from imb_bot.exchange.sim.errors import BinanceError

DOCS_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
DOCS_PAYLOAD = (
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
    "&recvWindow=5000&timestamp=1499827319559"
)
DOCS_SIGNATURE = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"


def test_sign_when_binance_docs_vector_matches_documented_signature() -> None:
    assert sign(DOCS_SECRET, DOCS_PAYLOAD) == DOCS_SIGNATURE


def test_verify_signature_when_docs_vector_in_body_with_signature_in_any_case_accepts() -> None:
    body = DOCS_PAYLOAD.encode() + b"&signature=" + DOCS_SIGNATURE.upper().encode()

    payload = signed_payload(b"", body)

    assert payload == DOCS_PAYLOAD.encode()
    verify_signature(DOCS_SECRET, payload, DOCS_SIGNATURE.upper())


def test_signed_payload_when_split_between_query_and_body_concatenates_without_separator() -> None:
    # Binance docs, example 3: query string and body are joined as they are
    query = b"symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC"
    body = b"quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559&signature=x"

    payload = signed_payload(query, body)

    assert sign(DOCS_SECRET, payload) == (
        "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"
    )


def test_signed_payload_when_signature_first_in_query_drops_it() -> None:
    assert signed_payload(b"signature=abc&a=1", b"") == b"a=1"


def test_verify_signature_when_secret_wrong_rejects_with_1022() -> None:
    with pytest.raises(BinanceError) as info:
        verify_signature("other", DOCS_PAYLOAD.encode(), DOCS_SIGNATURE)

    assert (info.value.status, info.value.code) == (400, -1022)
    assert info.value.msg == "Signature for this request is not valid."


def test_verify_signature_when_missing_rejects_with_1102() -> None:
    with pytest.raises(BinanceError) as info:
        verify_signature(DOCS_SECRET, DOCS_PAYLOAD.encode(), None)

    assert info.value.code == -1102


@pytest.mark.parametrize(
    ("timestamp", "window", "server"),
    [("1000000", "5000", 1_000_000), ("1000999", None, 1_000_000), ("940000", "60000", 1_000_000)],
)
def test_check_timestamp_when_inside_window_accepts(
    timestamp: str, window: str | None, server: int
) -> None:
    check_timestamp(timestamp, window, server)


@pytest.mark.parametrize(
    ("timestamp", "window", "code"),
    [
        ("1001000", "5000", -1021),  # 1000 ms ahead
        ("994999", "5000", -1021),  # older than the window
        ("980000", "10000", -1021),  # ccxt's 10 s window, clock 20 s behind
        ("1000000", "60001", -1131),
        (None, "5000", -1102),
        ("12ab", "5000", -1102),
    ],
)
def test_check_timestamp_when_outside_or_malformed_rejects(
    timestamp: str | None, window: str, code: int
) -> None:
    with pytest.raises(BinanceError) as info:
        check_timestamp(timestamp, window, 1_000_000)

    assert (info.value.status, info.value.code) == (400, code)
