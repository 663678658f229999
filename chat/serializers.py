from rest_framework import serializers

from chat.models import Comment


class CommentInputSerializer(serializers.Serializer[dict[str, str]]):
    body = serializers.CharField(trim_whitespace=False, allow_blank=True)
    sticker = serializers.ChoiceField(
        choices=Comment.Sticker.choices, required=False, allow_blank=True
    )


class CommentSerializer(serializers.ModelSerializer[Comment]):
    author = serializers.SerializerMethodField()
    message_id = serializers.IntegerField(source="message.id", read_only=True, allow_null=True)

    class Meta:
        model = Comment
        fields = ["id", "attempt", "author", "body", "sticker", "message_id", "created_at"]
        read_only_fields = fields

    def get_author(self, comment: Comment) -> str:
        return comment.author.first_name or comment.author.username
