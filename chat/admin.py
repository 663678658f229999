from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from chat import services
from chat.models import DeadLetter, Delivery, Message, ModerationAction, RelaySettings


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "room",
        "number",
        "kind",
        "author",
        "recipient",
        "removed_at",
        "created_at",
    )
    list_filter = ("kind", ("removed_at", admin.EmptyFieldListFilter))
    search_fields = ("body", "author__username")
    readonly_fields = [f.name for f in Message._meta.fields]


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "room", "action", "actor", "target", "detail")
    list_filter = ("action",)
    readonly_fields = [f.name for f in ModerationAction._meta.fields]


@admin.register(RelaySettings)
class RelaySettingsAdmin(admin.ModelAdmin):
    list_display = ("classroom", "webhook_display", "relay_feedback", "relay_bot",
                    "relay_milestones", "discord_channel_id", "disabled_at")  # fmt: skip
    # The webhook's token is never shown, not even sealed.
    exclude = ("webhook_token_sealed",)
    readonly_fields = ("webhook_id", "webhook_token_hint", "disabled_at", "disabled_reason")


class DeliveryAdminBase(admin.ModelAdmin):
    list_display = ("idempotency_key", "classroom", "kind", "status", "attempts",
                    "last_status_code", "last_error", "next_try_at", "created_at")  # fmt: skip
    list_filter = ("status", "kind")
    search_fields = ("idempotency_key", "last_error")
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["resend"]

    @admin.action(description="Resend the selected deliveries")
    def resend(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        sent, refused = 0, []
        for delivery in queryset.filter(status=Delivery.Status.DEAD):
            try:
                services.delivery_resend(delivery=delivery)
                sent += 1
            except services.ChatError as error:
                refused.append(f"{delivery.idempotency_key}: {error.message}")
        if sent:
            self.message_user(request, f"{sent} queued again.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)


@admin.register(Delivery)
class DeliveryAdmin(DeliveryAdminBase):
    pass


@admin.register(DeadLetter)
class DeadLetterAdmin(DeliveryAdminBase):
    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        return super().get_queryset(request).filter(status=Delivery.Status.DEAD)
