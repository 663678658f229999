from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def draw(request: HttpRequest) -> HttpResponse:
    """Free drawing: live candidates for anything the user writes; nothing is stored."""
    config = {"mode": "free", "ws_url": "/ws/recognize/", "targets": [], "show_tracing": False}
    return render(
        request,
        "recognition/draw.html",
        {"config": config, "mode": "free", "ws_url": config["ws_url"], "targets": []},
    )
