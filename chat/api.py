"""REST API of the chat app: teachers' comments on attempts (CONTRACTS section 6)."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import selectors, services
from chat.serializers import CommentInputSerializer, CommentSerializer
from classroom import access
from classroom.models import User


class AttemptCommentsApi(APIView):
    """Comments on an attempt. GET: whoever may see the attempt; POST: the class's teacher
    (201). The comment reaches the student in the class room and, when the class relays
    feedback, its Discord webhook."""

    @extend_schema(responses=CommentSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        user = request.user
        assert isinstance(user, User)
        access.attempt_to_view(user=user, pk=pk)
        comments = selectors.attempt_comments(attempt_id=pk)
        return Response(CommentSerializer(comments, many=True).data)

    @extend_schema(request=CommentInputSerializer, responses={201: CommentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        user = request.user
        assert isinstance(user, User)
        attempt = access.attempt_to_view(user=user, pk=pk)
        if not access.can_manage_classroom(user=user, classroom=attempt.exercise.classroom):
            raise access.NotAllowed("Only the class's teacher comments on its attempts.")
        data = CommentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_add(  # a ChatError is answered in the API's error shape
            teacher=user,
            attempt=attempt,
            body=data.validated_data["body"],
            sticker=data.validated_data.get("sticker", ""),
        )
        return Response(CommentSerializer(comment).data, status=201)
