from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from classroom import services
from classroom.models import (
    Attempt,
    Classroom,
    Exercise,
    LoginCard,
    Membership,
    TeacherInvitation,
    User,
)


class PendingTeacherFilter(admin.SimpleListFilter):
    title = "teacher sign-up"
    parameter_name = "pending_teacher"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Waiting for approval")]

    def queryset(self, request: Any, queryset: Any) -> Any:
        if self.value() == "yes":
            return queryset.filter(teacher_requested_at__isnull=False).exclude(
                role=User.Role.TEACHER
            )
        return queryset


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = (
        "username", "first_name", "last_name", "email", "role", "teacher_requested_at",
        "is_staff", "is_active",
    )  # fmt: skip
    list_filter = (PendingTeacherFilter, "role", "is_staff", "is_superuser", "is_active")
    actions = ["approve_teachers", "export_student_data"]

    @admin.action(description="Approve as teachers")
    def approve_teachers(self, request: Any, queryset: Any) -> None:
        waiting = queryset.filter(teacher_requested_at__isnull=False).exclude(
            role=User.Role.TEACHER
        )
        for user in waiting:
            services.teacher_approve(actor=request.user, user=user)
        self.message_user(request, f"{len(waiting)} teacher(s) approved.")

    @admin.action(description="Download the selected student's data (JSON)")
    def export_student_data(self, request: Any, queryset: Any) -> HttpResponse | None:
        students = list(queryset.filter(role=User.Role.STUDENT)[:2])
        if len(students) != 1:
            self.message_user(request, "Select one student.", level=messages.WARNING)
            return None
        from classroom.views.students import student_data_download

        return student_data_download(students[0], actor=request.user)

    def delete_model(self, request: Any, obj: Any) -> None:
        # A student goes with everything stored about them; every deletion is audited.
        services.user_delete(actor=request.user, user=obj)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for user in queryset:
            services.user_delete(actor=request.user, user=user)

    search_fields = ("username", "first_name", "last_name", "email")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Inkwell", {"fields": ("role",)}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "role", "password1", "password2")}),
    )


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("student",)
    readonly_fields = ("joined_at",)


class ExerciseInline(admin.TabularInline):
    model = Exercise
    extra = 0
    fields = ("title", "characters", "repetitions", "due_at", "archived")
    show_change_link = True


@admin.register(Classroom)
class ClassroomAdmin(admin.ModelAdmin):
    list_display = ("name", "teacher", "join_code", "student_count", "archived_at", "created_at")
    list_filter = (
        ("archived_at", admin.EmptyFieldListFilter),
        "allow_training_use",
        "created_at",
    )
    search_fields = ("name", "join_code", "teacher__username")
    autocomplete_fields = ("teacher",)
    readonly_fields = ("created_at",)
    inlines = (MembershipInline, ExerciseInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Classroom]:
        return (
            super()
            .get_queryset(request)
            .select_related("teacher")
            .annotate(student_total=Count("memberships", distinct=True))
        )

    @admin.display(description="students", ordering="student_total")
    def student_count(self, obj: Classroom) -> int:
        return getattr(obj, "student_total", 0)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("student", "classroom", "joined_at")
    list_filter = ("classroom",)
    search_fields = ("student__username", "classroom__name", "classroom__join_code")
    autocomplete_fields = ("student", "classroom")
    list_select_related = ("student", "classroom")


@admin.register(Exercise)
class ExerciseAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "classroom",
        "characters",
        "repetitions",
        "order",
        "case_rule",
        "due_at",
        "archived",
    )
    list_filter = ("archived", "order", "case_rule", "show_tracing", "classroom")
    search_fields = ("title", "characters", "classroom__name")
    autocomplete_fields = ("classroom",)
    list_select_related = ("classroom",)
    date_hierarchy = "created_at"


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "student",
        "exercise",
        "target",
        "predicted_label",
        "correct",
        "score",
        "status",
        "verified",
        "model_version",
    )
    list_filter = ("status", "correct", "verified", "model_version", "exercise__classroom")
    search_fields = ("student__username", "exercise__title", "target", "client_submission_id")
    list_select_related = ("student", "exercise")
    date_hierarchy = "created_at"
    autocomplete_fields = ("student", "exercise")
    readonly_fields = ("created_at", "verified_at")
    exclude = ("image",)  # raw PNG bytes are not editable text

    def delete_model(self, request: Any, obj: Any) -> None:
        services.attempts_delete(actor=request.user, attempt_ids=[obj.pk])  # audited

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        services.attempts_delete(
            actor=request.user, attempt_ids=list(queryset.values_list("pk", flat=True))
        )


@admin.register(TeacherInvitation)
class TeacherInvitationAdmin(admin.ModelAdmin):
    """Admins create invitations here (Add: the code and expiry are filled in; the link to
    send is on the invitation's page) and revoke unused ones."""

    list_display = ("code", "note", "created_by", "state", "expires_at", "used_by", "used_at")
    list_select_related = ("created_by", "used_by")
    search_fields = ("code", "note", "created_by__username", "used_by__username")
    readonly_fields = (
        "link", "code", "created_by", "expires_at", "used_by", "used_at", "revoked_at",
        "created_at",
    )  # fmt: skip
    fields = ("note", *readonly_fields)
    actions = ["revoke"]

    @admin.display(description="state")
    def state(self, obj: TeacherInvitation) -> str:
        return obj.get_state_display()

    @admin.display(description="link to send")
    def link(self, obj: TeacherInvitation) -> str:
        if not obj.pk or obj.state != TeacherInvitation.State.OPEN:
            return "-"
        return f"{reverse('signup')}?invitation={obj.code} (after this site's address)"

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        return (*self.readonly_fields, "note") if obj is not None else self.readonly_fields

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        if change:
            return
        created = services.teacher_invite(actor=request.user, note=obj.note)
        obj.pk, obj.code, obj.expires_at = created.pk, created.code, created.expires_at
        obj.created_by, obj.created_at = created.created_by, created.created_at

    @admin.action(description="Revoke the selected invitations (unused ones)")
    def revoke(self, request: Any, queryset: Any) -> None:
        revoked = 0
        for invitation in queryset.filter(used_at__isnull=True, revoked_at__isnull=True):
            services.teacher_invitation_revoke(actor=request.user, invitation=invitation)
            revoked += 1
        self.message_user(request, f"{revoked} invitation(s) revoked.")


@admin.register(LoginCard)
class LoginCardAdmin(admin.ModelAdmin):
    """Who has a picture or word card, and since when; never the secret (its hash stays out
    too). Teachers make cards on the class's page; an admin can only revoke one."""

    list_display = ("membership", "kind", "made_at")
    list_filter = ("kind",)
    search_fields = ("membership__student__username", "membership__classroom__name")
    fields = ("membership", "kind", "made_at")
    readonly_fields = fields
    list_select_related = ("membership__student", "membership__classroom")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
