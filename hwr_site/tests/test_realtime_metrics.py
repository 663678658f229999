"""The base consumer counts every socket's connections, frames and error frames by route."""

import pytest
from prometheus_client import REGISTRY

from recognition.tests.sockets import next_of_type, open_socket, session_headers

pytestmark = pytest.mark.django_db(transaction=True)


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def headers(client, django_user_model):
    user = django_user_model.objects.create_user("metered", password="pw-12345678")
    return session_headers(client, user)


async def test_an_open_socket_counts_as_a_connection_of_its_route_until_it_closes(headers):
    before = sample("inkwell_ws_connections", route="recognize")
    communicator, connected = await open_socket(headers)
    assert connected
    assert sample("inkwell_ws_connections", route="recognize") == before + 1
    await communicator.disconnect()
    assert sample("inkwell_ws_connections", route="recognize") == before


async def test_a_refused_socket_is_not_counted_as_open():
    before = sample("inkwell_ws_connections", route="recognize")
    communicator, connected = await open_socket([(b"origin", b"http://testserver")])
    assert connected  # accepted, then closed with 4401
    await communicator.receive_output(timeout=5)
    assert sample("inkwell_ws_connections", route="recognize") == before


async def test_frames_are_counted_by_type_and_a_strange_type_as_other(headers):
    counted = {kind: sample("inkwell_ws_messages_total", route="recognize", type=kind)
               for kind in ("clear", "other", "invalid")}  # fmt: skip
    communicator, _ = await open_socket(headers)
    await communicator.send_json_to({"type": "clear", "seq": 1})
    await next_of_type(communicator, "prediction")
    await communicator.send_json_to({"type": ["not", "a", "name"], "seq": 2})
    await next_of_type(communicator, "error")
    await communicator.send_to(text_data="{not json")
    await next_of_type(communicator, "error")
    await communicator.disconnect()
    for kind in ("clear", "other", "invalid"):
        after = sample("inkwell_ws_messages_total", route="recognize", type=kind)
        assert after == counted[kind] + 1, kind


async def test_error_frames_are_counted_by_route_and_code(headers):
    before = sample("inkwell_ws_error_frames_total", route="recognize", code="bad_json")
    communicator, _ = await open_socket(headers)
    await communicator.send_to(text_data="{not json")
    error = await next_of_type(communicator, "error")
    await communicator.disconnect()
    assert error["code"] == "bad_json"
    after = sample("inkwell_ws_error_frames_total", route="recognize", code="bad_json")
    assert after == before + 1
