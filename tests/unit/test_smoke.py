import pytest

from ekyc import Client, Outcome
from ekyc.sandbox import Sandbox


@pytest.mark.parametrize("provider", ["echo"], indirect=True)
def test_echo_flow(client: Client, sandbox: Sandbox) -> None:
    session = client.create_session(reference="u1")
    assert client.get_result(session.ref).outcome is Outcome.PENDING
    back = sandbox.complete(session, "approved")
    assert client.get_result(client.parse_return_url(back)).outcome is Outcome.APPROVED


def test_httpcore_finds_sniffio() -> None:
    """httpcore retries a failed ``import sniffio`` (a sys.path scan) on every async request; we declare it."""
    import importlib.util

    assert importlib.util.find_spec("sniffio") is not None
