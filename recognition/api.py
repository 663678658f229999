"""REST API of the recognition app (CONTRACTS section 4)."""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hwr_site.api_errors import DomainError
from hwr_site.parsers import JSONBodyParser
from hwr_site.ratelimits import RecognizeThrottle
from recognition import services
from recognition.serializers import (
    RecognitionSerializer,
    RecognizeImageSerializer,
    RecognizeInkSerializer,
)


class RecognizeApi(APIView):
    """Recognise one character from ink (JSON) or from an uploaded image (multipart)."""

    parser_classes = [JSONBodyParser, MultiPartParser, FormParser]
    throttle_classes = [RecognizeThrottle]

    @extend_schema(
        request={
            "application/json": RecognizeInkSerializer,
            "multipart/form-data": RecognizeImageSerializer,
        },
        responses=RecognitionSerializer,
    )
    def post(self, request: Request) -> Response:
        # Refuse an oversized body before it is read or spooled to disk.
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > settings.MAX_UPLOAD_BYTES + 64 * 1024:
            raise DomainError("image_too_large", "The request is larger than 5 MB.")
        data: Any = request.data
        charset = data.get("charset") if hasattr(data, "get") else None
        if charset is not None and not isinstance(charset, str):
            raise DomainError("bad_charset", "charset must be a string of characters")
        upload = request.FILES.get("image")
        if upload is not None:
            if upload.size is not None and upload.size > settings.MAX_UPLOAD_BYTES:
                raise DomainError("image_too_large", "The image is larger than 5 MB.")
            recognition = services.image_recognize(data=upload.read(), charset=charset)
        elif isinstance(data, dict) and "strokes" in data:
            guides, target = data.get("guides"), data.get("target")
            if target is not None:
                assessment = services.ink_assess(
                    strokes=data, target=target, charset=charset, guides=guides
                )
                answer = RecognitionSerializer(assessment.recognition).data
                answer["checks"] = [c.as_dict() for c in assessment.checks]
                return Response(answer)
            recognition = services.ink_recognize(strokes=data, charset=charset, guides=guides)
        else:
            raise DomainError(
                "missing_input",
                'Send JSON {"strokes": ...} or a multipart "image" file.',
            )
        return Response(RecognitionSerializer(recognition).data)
