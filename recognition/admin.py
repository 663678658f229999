"""The model registry in Django admin: train, watch, evaluate, activate, roll back."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join

from hwr_site.api_errors import DomainError
from recognition import services, training
from recognition.models import ModelVersion


def log_action(request: HttpRequest, version: ModelVersion, message: str) -> None:
    """Who did what to which version, in Django admin's own history."""
    assert request.user.pk is not None
    LogEntry.objects.log_actions(
        user_id=request.user.pk,
        queryset=[version],
        action_flag=CHANGE,
        change_message=message,
        single_object=True,
    )


class TrainForm(forms.Form):
    sources = forms.MultipleChoiceField(
        label="Data sources",
        widget=forms.CheckboxSelectMultiple,
        help_text="Ink JSONL files (train and val splits are used; test splits never).",
    )
    include_classroom = forms.BooleanField(
        label="Include verified classroom attempts",
        required=False,
        help_text="Only from classes whose teacher allows it.",
    )
    exclude_verifiers = forms.MultipleChoiceField(
        label="Leave out the verdicts of",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Teachers whose verdicts (and relabels) the classroom attempts would bring "
        "in; tick one to train without them.",
    )
    epochs = forms.IntegerField(min_value=1, max_value=60, initial=12)
    max_samples = forms.IntegerField(
        min_value=100, required=False, help_text="Cap on training samples, for a quick run."
    )
    base_version = forms.ModelChoiceField(
        queryset=ModelVersion.objects.all(), required=False, help_text="Recorded as its parent."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(p), p.name) for p in training.training_data_files()]
        sources = self.fields["sources"]
        assert isinstance(sources, forms.MultipleChoiceField)
        sources.choices = choices
        sources.initial = [c[0] for c in choices]
        verifiers = self.fields["exclude_verifiers"]
        assert isinstance(verifiers, forms.MultipleChoiceField)
        verifiers.choices = [
            (str(user_id), f"{name}: {verdicts} verdicts, {relabels} relabels")
            for user_id, name, verdicts, relabels in training.training_verifiers()
            if user_id is not None
        ]


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "status",
        "top1",
        "top1_35",
        "rejected",
        "created_by",
        "created_at",
        "activated_at",
    ]
    list_filter = ["status"]
    search_fields = ["name", "failure_reason"]
    actions = ["activate", "activate_even_if_worse", "cancel_training", "retry_training"]
    readonly_fields = [f.name for f in ModelVersion._meta.fields] + ["live_progress", "comparison"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "status",
                    "live_progress",
                    "failure_reason",
                    "base_version",
                    "created_by",
                    "created_at",
                    "started_at",
                    "finished_at",
                    "activated_at",
                ]
            },
        ),
        ("Evaluation", {"fields": ["comparison", "metrics"]}),
        (
            "Training",
            {
                "fields": ["data_sources", "params", "training_log", "artifact_dir", "model_card"],
                "classes": ["collapse"],
            },
        ),
    ]
    change_list_template = "admin/recognition/modelversion/change_list.html"

    class Media:
        js = ["recognition/training-progress.js"]
        css = {"all": ["recognition/admin.css"]}

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        training.model_fail_stale_trainings()
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # versions are made by training, from the "Train a new version" page

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # predictions and attempts refer to versions by name

    @admin.display(description="top1")
    def top1(self, obj: ModelVersion) -> str:
        return _pct(obj.metrics.get("top1"))

    @admin.display(description="top1 (35)")
    def top1_35(self, obj: ModelVersion) -> str:
        return _pct(obj.metrics.get("top1_35"))

    @admin.display(description="rejected")
    def rejected(self, obj: ModelVersion) -> str:
        return _pct(obj.metrics.get("rejected"))

    @admin.display(description="Progress")
    def live_progress(self, obj: ModelVersion) -> str:
        url = reverse("admin:recognition_modelversion_progress", args=[obj.pk])
        return format_html(
            '<div id="training-progress" data-url="{}" aria-live="polite">{}</div>',
            url,
            training.progress_text(obj),
        )

    @admin.display(description="Against the active version")
    def comparison(self, obj: ModelVersion) -> str:
        active = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).first()
        if not obj.metrics:
            return "Not evaluated yet."
        rows = training.metrics_comparison(version=obj, active=active)
        return format_html(
            '<table class="metrics-comparison"><thead><tr><th>metric</th><th>this</th>'
            "<th>active</th><th>difference</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                '<tr class="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
                (
                    (
                        row["css"],
                        row["name"],
                        _pct(row["this"]),
                        _pct(row["active"]),
                        _delta(row["delta"]),
                    )
                    for row in rows
                ),
            ),
        )

    # Pages

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "train/",
                self.admin_site.admin_view(self.train_view),
                name="recognition_modelversion_train",
            ),
            path(
                "rollback/",
                self.admin_site.admin_view(self.rollback_view),
                name="recognition_modelversion_rollback",
            ),
            path(
                "<int:pk>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="recognition_modelversion_progress",
            ),
        ]
        return own + super().get_urls()

    def train_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request):
            return HttpResponse(status=403)
        form = TrainForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            version = training.model_training_start(
                user=request.user,
                data=form.cleaned_data["sources"],
                include_classroom=form.cleaned_data["include_classroom"],
                exclude_verifiers=[int(pk) for pk in form.cleaned_data["exclude_verifiers"]],
                epochs=form.cleaned_data["epochs"],
                max_samples=form.cleaned_data["max_samples"],
                base_version=form.cleaned_data["base_version"],
            )
            log_action(request, version, "Started training")
            self.message_user(request, f"Training of version {version.name} is queued.")
            return HttpResponseRedirect(
                reverse("admin:recognition_modelversion_change", args=[version.pk])
            )
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": "Train a new version",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/recognition/modelversion/train.html", context)

    def rollback_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or not self.has_change_permission(request):
            return HttpResponse(status=405 if request.method != "POST" else 403)
        try:
            version = services.model_rollback(user=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            log_action(request, version, "Rolled back to this version")
            self.message_user(request, f"Version {version.name} is active again.")
        return HttpResponseRedirect(reverse("admin:recognition_modelversion_changelist"))

    def progress_view(self, request: HttpRequest, pk: int) -> JsonResponse:
        if not self.has_view_permission(request):
            return JsonResponse({"error": "forbidden"}, status=403)
        version = get_object_or_404(ModelVersion, pk=pk)
        return JsonResponse(
            {
                "status": version.status,
                "progress": version.progress,
                "text": training.progress_text(version),
            }
        )

    # Actions

    def _activate(
        self, request: HttpRequest, queryset: QuerySet[ModelVersion], confirm: bool
    ) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one version to activate.", messages.ERROR)
            return
        version = queryset.get()
        try:
            services.model_activate(version=version, confirm_worse=confirm, user=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        log_action(
            request, version, "Activated" + (" (confirmed although worse)" if confirm else "")
        )
        self.message_user(request, f"Version {version.name} is now active on every worker.")

    @admin.action(description="Activate the selected version", permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        self._activate(request, queryset, confirm=False)

    @admin.action(
        description="Activate even if it scores worse than the active version",
        permissions=["change"],
    )
    def activate_even_if_worse(
        self, request: HttpRequest, queryset: QuerySet[ModelVersion]
    ) -> None:
        self._activate(request, queryset, confirm=True)

    @admin.action(description="Cancel training", permissions=["change"])
    def cancel_training(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        self._for_each(request, queryset, training.model_training_cancel, "Cancelled training",
                       "Cancelling the training of version {}.")  # fmt: skip

    @admin.action(description="Retry a failed training", permissions=["change"])
    def retry_training(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        self._for_each(request, queryset, training.model_training_retry, "Retried training",
                       "Training of version {} is queued again.")  # fmt: skip

    def _for_each(
        self,
        request: HttpRequest,
        queryset: QuerySet[ModelVersion],
        action: Callable[..., ModelVersion],
        logged: str,
        said: str,
    ) -> None:
        """Run a registry service on each selected version, logging and reporting each."""
        for version in queryset:
            try:
                action(version=version)
            except DomainError as exc:
                self.message_user(request, f"{version.name}: {exc.message}", messages.ERROR)
                continue
            log_action(request, version, logged)
            self.message_user(request, said.format(version.name))


def _pct(value: object) -> str:
    return f"{100 * value:.1f}%" if isinstance(value, int | float) else "-"


def _delta(value: object) -> str:
    return f"{100 * value:+.1f}" if isinstance(value, int | float) else "-"
