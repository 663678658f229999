"""Strategies and checks shared by the sockets' hypothesis tests: what strangers can send."""

import json
from typing import Any

from hypothesis import strategies as st

# Codes any socket answers before its own handling (hwr_site/realtime/consumer.py).
DECODE_CODES = {"bad_message", "message_too_large", "bad_json"}
DEEP_LIST = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"a":' * 5000 + "1" + "}" * 5000
HUGE_NUMBER = '{"type": "stroke", "seq": ' + "9" * 5000 + "}"

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=False)
    | st.text(max_size=5)
    | st.sampled_from(["\x00", "a\x00b", "\u202e", "\ud7ff"]),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=30,
)
odd_frames = st.one_of(
    st.text(min_size=1, max_size=30),  # the test communicator cannot send an empty frame
    st.sampled_from([DEEP_LIST, DEEP_OBJECT, HUGE_NUMBER, "\x00", '{"type": "\x00"}', "null"]),
    st.builds(json.dumps, json_values),
)


def typed_frames(types: list[str], **optional: Any) -> st.SearchStrategy[str]:
    """JSON objects whose `type` is mostly one the socket knows, with odd values and keys."""
    return st.builds(
        json.dumps,
        st.fixed_dictionaries(
            {"type": st.sampled_from(types) | json_values},
            optional={key: strategy | json_values for key, strategy in optional.items()}
            | {"\x00unknown": json_values},
        ),
    )


def undecodable(frame: str, max_bytes: int) -> bool:
    """The socket answers this frame with one of DECODE_CODES, before reading it."""
    if len(frame) > max_bytes:
        return True
    try:
        return not isinstance(json.loads(frame), dict)
    except (ValueError, RecursionError):
        return True
