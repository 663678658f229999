"""The OpenAPI schema's shared parts: every operation documents the errors it can answer."""

from typing import Any

ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "Stable, for programs"},
                "message": {"type": "string", "description": "For people"},
            },
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}
ERRORS = {
    "400": "Bad input: `error.code` says what (bad_filter, parse_error, ...)",
    "401": "No valid credentials (token authentication)",
    "403": "Not logged in, or not allowed to do this",
    "404": "No such object, or not one you may see",
    "405": "Method not allowed on this path",
    "429": "Too many requests; see the Retry-After header",
    "503": "A part the answer needs (the recogniser) is unavailable right now",
}


def add_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the error shape of `hwr_site.api_errors` on
    every operation, beside what it documents itself."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                responses.setdefault(code, {"description": description, "content": content})
    return result
