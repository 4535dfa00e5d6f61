from ekyc import Client, Outcome
from ekyc.sandbox import Sandbox


def test_echo_flow(echo_client: Client, echo_sandbox: Sandbox) -> None:
    session = echo_client.create_session(reference="u1")
    assert echo_client.get_result(session.ref).outcome is Outcome.PENDING
    back = echo_sandbox.complete(session, "approved")
    assert echo_client.get_result(echo_client.parse_return_url(back)).outcome is Outcome.APPROVED


def test_httpcore_finds_sniffio() -> None:
    """httpcore retries a failed ``import sniffio`` (a sys.path scan) on every async request; we declare it."""
    import importlib.util

    assert importlib.util.find_spec("sniffio") is not None
