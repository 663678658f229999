"""The model registry in Django admin: train, watch, evaluate, activate, roll back."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import CHANGE, LogEntry
from django.db.models import JSONField, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from hwr_site.api_errors import DomainError
from recognition import services, training
from recognition.models import ModelVersion
from recognition.selectors import HEADLINE_METRIC, score_below_active

# What "Quick check" and "Full training" set; "custom" takes the two fields as typed.
PRESETS: dict[str, dict[str, int | None]] = {
    "quick": {"epochs": 1, "max_samples": 2000},
    "full": {"epochs": 12, "max_samples": None},
}
HEADLINE = ["top1", "top3", "top1_35", "rejected"]


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
    preset = forms.ChoiceField(
        label="Run",
        required=False,
        widget=forms.RadioSelect,
        choices=[
            ("quick", "Quick check: 1 epoch on 2,000 samples (minutes), to try the pipeline"),
            ("full", "Full training: 12 epochs on every sample (hours on a small machine)"),
            ("custom", "Custom: the epochs and sample cap below"),
        ],
        initial="quick",
    )
    sources = forms.MultipleChoiceField(
        label="Data sources",
        widget=forms.CheckboxSelectMultiple,
        help_text="Ink JSONL files, with the splits each holds. The version learns from their "
        "train splits and is scored on their val splits (the holdout); test splits are never "
        "used. So at least one chosen source needs a val split.",
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
    epochs = forms.IntegerField(
        min_value=1, max_value=60, initial=12, required=False, help_text="For a custom run."
    )
    max_samples = forms.IntegerField(
        min_value=100,
        required=False,
        help_text="For a custom run: cap on training samples (empty: all of them).",
    )
    base_version = forms.ModelChoiceField(
        queryset=ModelVersion.objects.all(), required=False, help_text="Recorded as its parent."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(p), _source_label(p)) for p in training.training_data_files()]
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

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # A POST without a preset (an older form, a script) is a custom run, as it was.
        preset = data.get("preset") or "custom"
        if preset in PRESETS:
            data.update(PRESETS[preset])
        elif data.get("epochs") is None and "epochs" not in self.errors:
            self.add_error("epochs", "Say how many epochs a custom run trains for.")
        if "sources" in data:
            try:
                training.training_data_check(data["sources"])
            except training.TrainingDataError as exc:
                self.add_error("sources", str(exc))
        return data


def _source_label(path: Any) -> str:
    splits = training.data_file_splits(path)
    held = ", ".join(s for s in ("train", "val", "test") if s in splits)
    note = "" if "val" in splits else "; no val split, so not alone"
    return f"{path.name} ({held}{note})"


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "state",
        "top1",
        "top1_35",
        "rejected",
        "against_active",
        "created_by",
        "created_at",
        "activated_at",
    ]
    list_filter = ["status"]
    search_fields = ["name", "failure_reason"]
    actions = ["activate", "cancel_training", "retry_training"]
    readonly_fields = [f.name for f in ModelVersion._meta.fields] + [
        "live_progress",
        "failure",
        "comparison",
        "sources_text",
        "params_text",
        "card_text",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "status",
                    "live_progress",
                    "failure",
                    "base_version",
                    "created_by",
                    "created_at",
                    "started_at",
                    "finished_at",
                    "activated_at",
                ]
            },
        ),
        ("Evaluation on the holdout", {"fields": ["comparison"]}),
        (
            "Training",
            {
                "fields": [
                    "sources_text",
                    "params_text",
                    "training_log",
                    "artifact_dir",
                    "card_text",
                ],
                "classes": ["collapse"],
            },
        ),
    ]
    change_list_template = "admin/recognition/modelversion/change_list.html"

    class Media:
        js = ["recognition/training-progress.js"]
        css = {"all": ["recognition/admin.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[ModelVersion]:
        # The active version's scores beside each row, for "against the active" in one query.
        active = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE)
        return (
            super()
            .get_queryset(request)
            .annotate(
                active_pk=Subquery(active.values("pk")[:1]),
                active_metrics=Subquery(active.values("metrics")[:1], output_field=JSONField()),
            )
            .select_related("created_by")
        )

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        training.model_fail_stale_trainings()
        return super().changelist_view(request, extra_context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        training.model_fail_stale_trainings()
        return super().change_view(request, object_id, form_url, extra_context)

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

    @admin.display(description="Status", ordering="status")
    def state(self, obj: ModelVersion) -> str:
        if obj.status == ModelVersion.Status.FAILED:
            return format_html(
                '{}<div class="training-failure">{}</div>',
                obj.get_status_display(),
                obj.failure_reason or "No reason was recorded.",
            )
        if obj.status in training.TRAINING_STATES or obj.status == ModelVersion.Status.QUEUED:
            progress = training.progress_text(obj)
            return format_html('{}<div class="help">{}</div>', obj.get_status_display(), progress)
        return obj.get_status_display()

    @admin.display(description="Against the active version")
    def against_active(self, obj: ModelVersion) -> str:
        active_pk = getattr(obj, "active_pk", None)
        active = (
            ModelVersion(pk=active_pk, metrics=getattr(obj, "active_metrics", None) or {})
            if active_pk is not None
            else None
        )
        return _below_mark(obj, active) or ("active" if obj.pk == active_pk else "-")

    @admin.display(description="Progress")
    def live_progress(self, obj: ModelVersion) -> str:
        url = reverse("admin:recognition_modelversion_progress", args=[obj.pk])
        return format_html(
            '<div id="training-progress" data-url="{}" aria-live="polite">{}</div>',
            url,
            training.progress_text(obj),
        )

    @admin.display(description="Why it failed")
    def failure(self, obj: ModelVersion) -> str:
        if obj.status != ModelVersion.Status.FAILED:
            return "-"
        return format_html(
            '<div class="training-failure">{}</div>', obj.failure_reason or "No reason recorded."
        )

    @admin.display(description="Against the active version")
    def comparison(self, obj: ModelVersion) -> str:
        active = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).first()
        if not obj.metrics:
            return "Not evaluated yet."
        rows = training.metrics_comparison(version=obj, active=active)
        metrics = obj.metrics
        speed = metrics.get("ms_per_sample")
        scored = format_html(
            "<p>Scored on {} holdout characters ({} skipped){}.</p>",
            metrics.get("n", "?"),
            metrics.get("skipped", 0),
            f", {speed:.2f} ms a character" if isinstance(speed, int | float) else "",
        )
        return format_html(
            "{}{}{}{}",
            _below_mark(obj, active),
            scored,
            _metrics_table(rows),
            _confusions_table(metrics.get("confusions") or []),
        )

    @admin.display(description="Data sources")
    def sources_text(self, obj: ModelVersion) -> str:
        return _plain_fields(obj.data_sources or {})

    @admin.display(description="Parameters")
    def params_text(self, obj: ModelVersion) -> str:
        return _plain_fields(obj.params or {})

    @admin.display(description="Model card")
    def card_text(self, obj: ModelVersion) -> str:
        # Its metrics are the tables above; the rest as plain fields.
        return _plain_fields({k: v for k, v in (obj.model_card or {}).items() if k != "metrics"})

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
            try:
                version = training.model_training_start(
                    user=request.user,
                    data=form.cleaned_data["sources"],
                    include_classroom=form.cleaned_data["include_classroom"],
                    exclude_verifiers=[int(pk) for pk in form.cleaned_data["exclude_verifiers"]],
                    epochs=form.cleaned_data["epochs"],
                    max_samples=form.cleaned_data["max_samples"],
                    base_version=form.cleaned_data["base_version"],
                )
            except DomainError as exc:  # the data changed since the form was checked
                form.add_error(None, exc.message)
            else:
                log_action(request, version, "Started training")
                where = (
                    "in the background on this server"
                    if settings.CELERY_TASK_ALWAYS_EAGER
                    else "on the training queue"
                )
                self.message_user(
                    request,
                    f"Training of version {version.name} is queued {where}; this page follows "
                    "its progress.",
                )
                return HttpResponseRedirect(
                    reverse("admin:recognition_modelversion_change", args=[version.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": "Train a new version",
            "opts": self.model._meta,
            "embedded": settings.CELERY_TASK_ALWAYS_EAGER,
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
        training.model_fail_stale_trainings()
        version = get_object_or_404(ModelVersion, pk=pk)
        return JsonResponse(
            {
                "status": version.status,
                "progress": version.progress,
                "text": training.progress_text(version),
            }
        )

    # Actions

    @admin.action(description="Activate the selected version", permissions=["change"])
    def activate(
        self, request: HttpRequest, queryset: QuerySet[ModelVersion]
    ) -> HttpResponse | None:
        """Activate one version; one that scores below the active version first gets a page
        that shows by how much and asks for a confirmation."""
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one version to activate.", messages.ERROR)
            return None
        version = queryset.get()
        active = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).first()
        below = score_below_active(version, active)
        confirmed = request.POST.get("confirm_worse") == "yes"
        if below is not None and not confirmed:
            return self._confirm_worse(request, version, active, below)
        try:
            services.model_activate(version=version, confirm_worse=confirmed, user=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        log_action(
            request,
            version,
            "Activated" + (" (confirmed although worse)" if below is not None else ""),
        )
        self.message_user(request, f"Version {version.name} is now active on every worker.")
        return None

    def _confirm_worse(
        self,
        request: HttpRequest,
        version: ModelVersion,
        active: ModelVersion | None,
        below: tuple[float, float],
    ) -> HttpResponse:
        rows = [
            row
            for row in training.metrics_comparison(version=version, active=active)
            if row["name"] in HEADLINE
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Activate version {version.name}, which scores below the active one?",
            "opts": self.model._meta,
            "version": version,
            "active": active,
            "metric": HEADLINE_METRIC,
            "this_score": _pct(below[0]),
            "active_score": _pct(below[1]),
            "table": _metrics_table(rows),
            "checkbox_name": ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(
            request, "admin/recognition/modelversion/activate_confirmation.html", context
        )

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


def _below_mark(version: ModelVersion, active: ModelVersion | None) -> SafeString | str:
    below = score_below_active(version, active)
    if below is None:
        return ""
    assert active is not None
    return format_html(
        '<span class="below-active">Below the active version: {} {} against {}</span>',
        HEADLINE_METRIC,
        _pct(below[0]),
        _pct(below[1]),
    )


def _metrics_table(rows: list[dict[str, Any]]) -> SafeString:
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


def _confusions_table(confusions: list[Any]) -> SafeString | str:
    rows = [row for row in confusions[:10] if isinstance(row, list | tuple) and len(row) == 3]
    if not rows:
        return ""
    return format_html(
        '<table class="metrics-confusions"><caption>Most frequent mistakes</caption><thead>'
        "<tr><th>written</th><th>read as</th><th>times</th></tr></thead><tbody>{}</tbody>"
        "</table>",
        format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
    )


def _plain_fields(values: dict[str, Any]) -> SafeString | str:
    if not values:
        return "-"

    def shown(value: Any) -> str:
        if isinstance(value, list):
            if any(isinstance(v, dict | list) for v in value):
                return f"{len(value)} entries"
            return ", ".join(str(v).rsplit("/", 1)[-1] for v in value) or "none"
        if isinstance(value, dict):  # one level: deeper structures stay in the stored card
            flat = [f"{k}: {v}" for k, v in value.items() if not isinstance(v, dict | list)]
            return ", ".join(flat) or "none"
        return "-" if value is None else str(value)

    return format_html(
        '<dl class="plain-fields">{}</dl>',
        format_html_join(
            "",
            "<dt>{}</dt><dd>{}</dd>",
            ((name.replace("_", " "), shown(value)) for name, value in values.items()),
        ),
    )


def _pct(value: object) -> str:
    return f"{100 * value:.1f}%" if isinstance(value, int | float) else "-"


def _delta(value: object) -> str:
    return f"{100 * value:+.1f}" if isinstance(value, int | float) else "-"
