"""`POST /api/v1/recognize` (CONTRACTS section 4)."""

import io
import json
import threading
import zlib
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.test import Client
from PIL import Image, ImageDraw
from rest_framework.authtoken.models import Token

from recognition.engine.preprocessing import DECODE_BUDGET, MAX_IMAGE_SIDE
from recognition.tests.samples import GUIDES, placed, unipen_test_samples

pytestmark = pytest.mark.django_db
URL = "/api/v1/recognize"


@pytest.fixture
def api(client, user):
    client.force_login(user)
    return client


def post_json(client, body, **extra):
    return client.post(URL, data=json.dumps(body), content_type="application/json", **extra)


def ink_png(strokes, *, size=200, dark_on_light=True) -> bytes:
    """Draw ink on 'paper' the way a scan would show it."""
    xs = [p[0] for s in strokes for p in s]
    ys = [p[1] for s in strokes for p in s]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1)
    scale = (size * 0.7) / span

    def place(p):
        return (size * 0.15 + (p[0] - min(xs)) * scale, size * 0.15 + (p[1] - min(ys)) * scale)

    ink, paper = (20, 245) if dark_on_light else (245, 20)
    image = Image.new("L", (size, size), paper)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        draw.line([place(p) for p in stroke], fill=ink, width=max(3, size // 30), joint="curve")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_it_refuses_anonymous_callers(client):
    response = post_json(client, {"strokes": [[[0, 0], [1, 1]]]})
    assert response.status_code == 403  # decision 005
    assert response.json()["error"]["code"] == "not_authenticated"


def test_it_recognises_real_ink_with_the_contract_shape(api):
    sample = unipen_test_samples(labels="7", per_label=1)[0]
    response = post_json(api, {"strokes": sample["strokes"]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) >= {
        "label",
        "confidence",
        "candidates",
        "rejected",
        "model_version",
        "latency_ms",
    }
    assert body["label"] == "7"
    assert len(body["candidates"]) >= 3
    ps = [c["p"] for c in body["candidates"]]
    assert ps == sorted(ps, reverse=True)
    assert body["confidence"] == pytest.approx(ps[0], abs=1e-3)


def test_a_token_authenticates(user):
    call_command("drf_create_token", user.username)
    token = Token.objects.get(user=user)
    sample = unipen_test_samples(labels="3", per_label=1)[0]
    response = post_json(
        Client(), {"strokes": sample["strokes"]}, HTTP_AUTHORIZATION=f"Token {token.key}"
    )
    assert response.status_code == 200
    assert response.json()["label"] == "3"


def test_a_charset_restricts_the_candidates(api):
    sample = unipen_test_samples(labels="o", per_label=1)[0]
    response = post_json(api, {"strokes": sample["strokes"], "charset": "0123456789"})
    assert response.status_code == 200
    labels = [c["label"] for c in response.json()["candidates"]]
    assert set(labels) <= set("0123456789")
    assert sum(c["p"] for c in response.json()["candidates"]) <= 1.0001


@pytest.mark.parametrize("dark_on_light", [True, False])
def test_an_uploaded_image_is_recognised_like_the_ink(api, dark_on_light):
    samples = unipen_test_samples(labels="2458", per_label=1)
    right = 0
    for sample in samples:
        image = io.BytesIO(ink_png(sample["strokes"], dark_on_light=dark_on_light))
        image.name = "char.png"
        response = api.post(URL, {"image": image, "charset": "0123456789"})
        assert response.status_code == 200, response.content
        right += response.json()["label"] == sample["label"]
    assert right >= 3


def test_session_posts_need_a_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = post_json(client, {"strokes": [[[0, 0], [5, 40]]]})
    assert response.status_code == 403


def png_of_size(width, height) -> bytes:
    out = io.BytesIO()
    Image.new("L", (width, height), 255).save(out, format="PNG")
    return out.getvalue()


def bomb_png() -> bytes:
    """A tiny file that claims a 30000 x 30000 picture (900 M pixels)."""
    import struct

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)
    row = b"\x00" + b"\xff" * 30000
    data = zlib.compress(row * 50, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


BAD_JSON_BODIES = [
    ({"strokes": []}, "empty_ink"),
    ({"strokes": [[]]}, "empty_ink"),
    ({"strokes": "abc"}, "bad_format"),
    ({"strokes": [[["a", 1]]]}, "bad_format"),
    ({"strokes": [[[0, 0]]] * 65}, "too_many_strokes"),
    ({"strokes": [[[0, 0]] * 4001]}, "too_many_points"),
    ({"strokes": [[[0, 200000]]]}, "bad_coordinate"),
    ({"strokes": [[[0, 0], [1, 1]]], "charset": "!?"}, "bad_charset"),
    ({"strokes": [[[0, 0], [1, 1]]], "charset": ""}, "bad_charset"),
    ({"strokes": [[[0, 0], [1, 1]]], "charset": 5}, "bad_charset"),
    ({"ink": []}, "missing_input"),
]


@pytest.mark.parametrize(("body", "code"), BAD_JSON_BODIES)
def test_bad_ink_gets_a_clear_400(api, body, code):
    response = post_json(api, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]


def test_malformed_json_gets_a_clear_400(api):
    response = api.post(URL, data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"this is not an image", "not_an_image"),
        (png_of_size(4097, 10), "image_too_large"),
        (b"\x89PNG" + b"0" * (5 * 1024 * 1024 + 10), "image_too_large"),
        (bomb_png(), "decompression_bomb"),
    ],
    ids=["text", "too-wide", "over-5MB", "bomb"],
)
def test_bad_images_get_a_clear_400(api, payload, code):
    upload = io.BytesIO(payload)
    upload.name = "upload.png"
    response = api.post(URL, {"image": upload})
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == code


@contextmanager
def decodes_in_flight(count: int):
    """`count` full-size images being decoded on other threads, as parallel uploads are."""
    holding, release = threading.Barrier(count + 1), threading.Event()

    def decode() -> None:
        with DECODE_BUDGET.reserve(MAX_IMAGE_SIDE * MAX_IMAGE_SIDE):
            holding.wait()
            release.wait(30)

    threads = [threading.Thread(target=decode) for _ in range(count)]
    for thread in threads:
        thread.start()
    holding.wait(10)
    try:
        yield
    finally:
        release.set()
        for thread in threads:
            thread.join()


def test_an_upload_while_the_decoder_is_full_gets_503_with_retry_after(api, monkeypatch):
    monkeypatch.setattr(DECODE_BUDGET, "wait_s", 0.2)  # not the 20 s a server waits
    sample = unipen_test_samples(labels="3", per_label=1)[0]
    full = DECODE_BUDGET.limit // (MAX_IMAGE_SIDE * MAX_IMAGE_SIDE)
    with decodes_in_flight(full):
        busy = api.post(URL, {"image": named(ink_png(sample["strokes"]))})
    assert busy.status_code == 503, busy.content
    assert busy.json()["error"]["code"] == "busy"
    assert busy["Retry-After"] == "2"
    # The load, not the image: once the decodes are done, the same upload is read.
    after = api.post(URL, {"image": named(ink_png(sample["strokes"]))})
    assert after.status_code == 200, after.content


def named(data: bytes) -> io.BytesIO:
    upload = io.BytesIO(data)
    upload.name = "upload.png"
    return upload


# Guides and targets (CONTRACTS section 8)


def small_and_tall_o() -> tuple[list, list]:
    """One real test-split o, written to the x-height and written to the cap height."""
    strokes = unipen_test_samples(labels="o", per_label=1)[0]["strokes"]
    small = placed(strokes, top=GUIDES["x_height"], bottom=GUIDES["baseline"])
    tall = placed(strokes, top=GUIDES["cap_height"], bottom=GUIDES["baseline"])
    return small, tall


def test_the_guides_decide_the_case_of_an_o(api):
    small, tall = small_and_tall_o()
    labels = [
        post_json(api, {"strokes": ink, "guides": GUIDES, "charset": "oO"}).json()["label"]
        for ink in (small, tall)
    ]
    assert labels == ["o", "O"]


@pytest.mark.parametrize(
    "guides",
    [
        {"baseline": 10, "x_height": 50, "cap_height": 90},  # upside down
        {"baseline": 210, "x_height": 140},
        {"baseline": "low", "x_height": 140, "cap_height": 66},
        [210, 140, 66],
    ],
)
def test_bad_guides_get_a_400(api, guides):
    response = post_json(api, {"strokes": [[[0, 0], [9, 9]]], "guides": guides})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_guides"


def test_a_target_adds_the_checks(api):
    small, _ = small_and_tall_o()
    body = post_json(api, {"strokes": small, "guides": GUIDES, "target": "o"}).json()
    assert body["label"] == "o"
    names = [c["name"] for c in body["checks"]]
    assert names[0] == "legible" and {"size", "placement", "case"} <= set(names)
    ok = {c["name"]: c["ok"] for c in body["checks"]}
    assert ok["legible"] and ok["size"] and ok["placement"] and ok["case"], body["checks"]
    assert all(set(c) == {"name", "ok", "message"} for c in body["checks"])


def test_a_capital_written_for_a_small_letter_fails_case(api):
    _, tall = small_and_tall_o()
    body = post_json(api, {"strokes": tall, "guides": GUIDES, "target": "o"}).json()
    case = next(c for c in body["checks"] if c["name"] == "case")
    assert not case["ok"] and "small o" in case["message"]


def test_without_a_target_there_are_no_checks(api):
    small, _ = small_and_tall_o()
    assert "checks" not in post_json(api, {"strokes": small, "guides": GUIDES}).json()


@pytest.mark.parametrize("target", ["?", "ab", 7, ""])
def test_a_bad_target_gets_a_400(api, target):
    small, _ = small_and_tall_o()
    response = post_json(api, {"strokes": small, "target": target})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_target"


def test_the_schema_documents_guides_target_and_checks(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    text = schema.content.decode()
    assert schema.status_code == 200
    assert all(word in text for word in ("cap_height", "x_height", "checks", "target"))
