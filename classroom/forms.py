"""Forms parse and check input; the services in `classroom.services` do the writing."""

import csv
import io
from typing import Any

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

from classroom import selectors, services
from classroom.models import (
    CHARACTER_CLASSES,
    DEFAULT_TRIES,
    Classroom,
    Exercise,
    User,
    normalize_join_code,
)
from classroom.presets import BY_KEY, OWN, preset_choices
from classroom.words import MAX_WORD_LENGTH, MAX_WORDS

FILTER_DATES = selectors.FILTER_DATES


class SignUpForm(UserCreationForm):
    role = forms.ChoiceField(
        label="I am a",
        choices=User.Role.choices,
        widget=forms.RadioSelect,
        initial=User.Role.STUDENT,
    )
    join_code = forms.CharField(
        label="Class code (optional)",
        required=False,
        max_length=32,
        help_text="Students: the 8-letter code your teacher gave you.",
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )

    invitation = forms.CharField(
        label="Teacher invitation (optional)",
        required=False,
        max_length=32,
        help_text="Teachers: with an invitation from an admin or a teacher you can run classes at "
        "once; without one, an admin checks your account first.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    class Meta:
        model = User
        fields = ("username", "first_name", "email", "role")
        labels = {"first_name": "First name (optional)", "email": "Email (optional)"}
        help_texts = {"email": "Only needed to reset a forgotten password."}

    def clean_join_code(self) -> str:
        return normalize_join_code(self.cleaned_data.get("join_code", ""))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("join_code") and cleaned.get("role") == User.Role.TEACHER:
            self.add_error("join_code", "Only students join classes with a code.")
        return cleaned

    def sign_up(self) -> User:
        """Create the account through the service; a bad code becomes a field error."""
        data = self.cleaned_data
        return services.user_sign_up(
            username=data["username"],
            password=data["password1"],
            role=data["role"],
            email=data.get("email", ""),
            first_name=data.get("first_name", ""),
            join_code=data.get("join_code", ""),
            invitation=data.get("invitation", "") if data["role"] == User.Role.TEACHER else "",
        )


class InvitationForm(forms.Form):
    note = forms.CharField(
        label="Who is it for? (optional)",
        required=False,
        max_length=100,
        help_text="A name to remember whom you sent it to; only you and the admins see it.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


# A class list: a first-name column and an optional last-name column, header optional.
ROSTER_MAX_BYTES = 64 * 1024
_FIRST_NAME_HEADERS = {"first name", "firstname", "first", "given name", "forename", "name"}


def roster_rows(text: str) -> list[tuple[str, str]]:
    """(first, last) for each line of a class list typed, pasted from a spreadsheet (tabs)
    or read from a CSV file (commas); a first line that names the columns is skipped."""
    delimiter = "\t" if "\t" in text else ","
    rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if any(row)]
    people = [(row[0].strip(), row[1].strip() if len(row) > 1 else "") for row in rows]
    if people and people[0][0].casefold().replace("_", " ") in _FIRST_NAME_HEADERS:
        people = people[1:]
    return [(first, last) for first, last in people if first]


class StudentNamesForm(forms.Form):
    names = forms.CharField(label="Names", required=False, widget=forms.Textarea)
    roster = forms.FileField(label="Or a CSV file", required=False)

    def clean_roster(self) -> list[tuple[str, str]]:
        upload = self.cleaned_data.get("roster")
        if upload is None:
            return []
        if upload.size > ROSTER_MAX_BYTES:
            raise forms.ValidationError(
                f"That file is too big: a class list is at most {ROSTER_MAX_BYTES // 1024} KB.",
                code="file_too_large",
            )
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                "That file is not UTF-8 text: save it as “CSV UTF-8” and try again.",
                code="not_utf8",
            ) from None
        try:
            people = roster_rows(text)
        except csv.Error:
            raise forms.ValidationError("That file is not a CSV file.", code="bad_csv") from None
        if len(people) > services.MAX_NEW_STUDENTS:
            raise forms.ValidationError(
                f"That file has {len(people)} names: add at most "
                f"{services.MAX_NEW_STUDENTS} at a time.",
                code="too_many_rows",
            )
        return people

    def people(self) -> list[tuple[str, str]]:
        """Everyone typed and everyone in the file, in that order."""
        return roster_rows(self.cleaned_data.get("names", "")) + self.cleaned_data["roster"]


class ClassroomForm(forms.ModelForm):
    class Meta:
        model = Classroom
        fields = ("name", "spoken_prompts")
        labels = {"name": "Class name"}
        widgets = {"name": forms.TextInput(attrs={"autocomplete": "off"})}


class JoinForm(forms.Form):
    code = forms.CharField(
        label="Class code",
        max_length=32,
        help_text="8 letters and digits, for example BRNK-7QXT. Spaces and dashes are fine.",
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "autocomplete": "off", "class": "code-input"}
        ),
    )


class ExerciseForm(forms.ModelForm):
    kind = forms.ChoiceField(
        label="What to practise",
        choices=Exercise.Kind.choices,
        initial=Exercise.Kind.CHARACTERS,
        required=False,
        widget=forms.RadioSelect,
        help_text="Words and names come later in the year: the child writes each letter of "
        "the word in turn, and each letter is checked as a character is (there is no "
        "whole-word recogniser).",
    )
    words = forms.CharField(
        label="Words",
        required=False,
        max_length=400,
        help_text=f"For words: up to {MAX_WORDS} words of up to {MAX_WORD_LENGTH} letters, with "
        "spaces between them, for example: cat dog sun. Repetitions: how many times each word "
        "is written.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )
    preset = forms.ChoiceField(
        label="Start from",
        required=False,
        initial=OWN,
        choices=preset_choices,
        help_text="Letters grouped by the strokes they share, in the order schools teach "
        "them; a preset fills in the characters (and the title, if you leave it empty).",
    )
    # Longer than the stored field: spaces typed between characters are dropped in cleaning.
    characters = forms.CharField(
        max_length=4 * len(CHARACTER_CLASSES),
        help_text=Exercise._meta.get_field("characters").help_text,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )
    due_at = forms.DateTimeField(
        label="Due (optional)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )

    class Meta:
        model = Exercise
        fields = (
            "title",
            "kind",
            "words",
            "characters",
            "repetitions",
            "tries",
            "order",
            "case_rule",
            "due_at",
            "show_tracing",
        )
        widgets = {
            "order": forms.RadioSelect,
            "case_rule": forms.RadioSelect,
            "repetitions": forms.NumberInput(attrs={"min": 1, "max": 20}),
            "tries": forms.NumberInput(attrs={"min": 1, "max": 9}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(["kind", "preset", "title", "words", *self.Meta.fields])
        # A preset brings its own title and characters.
        self.fields["title"].required = False
        self.fields["characters"].required = False
        self.fields["tries"].required = False  # left out: the default
        if self.instance.pk:  # editing: the characters are already there, the kind is kept
            del self.fields["preset"]
            del self.fields["kind"]
            if self.instance.kind != Exercise.Kind.WORDS:
                del self.fields["words"]
        if self.instance.is_words:
            del self.fields["characters"]

    def chosen_kind(self) -> str:
        if self.instance.pk:
            return self.instance.kind
        return getattr(self, "cleaned_data", {}).get("kind") or Exercise.Kind.CHARACTERS

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = self.chosen_kind()
        if not self.instance.pk:
            cleaned["kind"] = kind
        if kind != Exercise.Kind.CHARACTERS:
            # Words and names bring their own characters: their letters.
            self.errors.pop("characters", None)
            try:
                cleaned["words"], cleaned["characters"] = Exercise.stored_fields(
                    kind=kind, words=cleaned.get("words", ""), characters=""
                )
            except ValidationError as error:
                self.add_error(None, error)
            if not cleaned.get("title"):
                self.add_error("title", "Give the exercise a title.")
            return cleaned
        cleaned["words"] = ""
        preset = BY_KEY.get(cleaned.get("preset") or OWN)
        if preset is not None:
            cleaned["characters"] = preset.characters
            self.errors.pop("characters", None)
            if not cleaned.get("title"):
                cleaned["title"] = preset.title.split(":")[0]
        if not cleaned.get("title"):
            self.add_error("title", "Give the exercise a title.")
        if not cleaned.get("characters"):
            self.add_error("characters", "Type the characters to practise, or choose a preset.")
        return cleaned

    def clean_characters(self) -> str:
        # Spaces between characters are a natural way to type a list; they are not kept.
        return "".join(self.cleaned_data.get("characters", "").split())

    def fields_for_service(self) -> services.ExerciseFields:
        data = self.cleaned_data
        return services.ExerciseFields(
            title=data["title"],
            kind=self.chosen_kind(),
            words=data.get("words", ""),
            characters=data.get("characters", ""),
            repetitions=data["repetitions"],
            tries=data.get("tries") or DEFAULT_TRIES,
            order=data["order"],
            case_rule=data["case_rule"],
            due_at=data.get("due_at"),
            show_tracing=data.get("show_tracing", False),
        )


class DashboardFilterForm(forms.Form):
    """The dashboard's filters from the query string (`exercise`, `from`, `to`; all optional)."""

    exercise = forms.TypedChoiceField(
        label="Exercise", required=False, coerce=int, empty_value=None
    )

    def __init__(self, data: Any, *, exercises: list[Exercise]) -> None:
        super().__init__(data)
        field = self.fields["exercise"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "All exercises"), *((e.pk, e.title) for e in exercises)]
        # "from" is a keyword in Python, not in a query string: short names a teacher can type.
        for name, label in (("from", "From"), ("to", "To")):
            self.fields[name] = forms.DateField(
                label=label,
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}),
                validators=[
                    MinValueValidator(FILTER_DATES[0]),
                    MaxValueValidator(FILTER_DATES[1]),
                ],
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end:
            self.add_error("to", "The end date is before the start date.")
        return cleaned

    def filters(self) -> selectors.AttemptFilters:
        """The filters that parsed; a bad value is left out (and shown as an error)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return selectors.AttemptFilters(
            exercise_id=data.get("exercise"),
            date_from=data.get("from"),
            date_to=data.get("to"),
        )


class AttemptListForm(forms.Form):
    """Filters of a student's attempts: which character, which result."""

    character = forms.ChoiceField(label="Character", required=False)
    result = forms.ChoiceField(
        label="Result",
        required=False,
        choices=[
            ("", "Any result"),
            ("correct", "Correct"),
            ("wrong", "Wrong"),
            ("pending", "Not checked yet"),
            ("verified", "Verified by the teacher"),
        ],
    )

    def __init__(self, data: Any, *, characters: list[str]) -> None:
        super().__init__(data)
        field = self.fields["character"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Any character"), *((ch, ch) for ch in characters)]

    def values(self) -> tuple[str, str]:
        if not self.is_valid():
            return "", ""
        return self.cleaned_data.get("character", ""), self.cleaned_data.get("result", "")


class VerdictForm(forms.Form):
    verdict = forms.ChoiceField(
        choices=[("correct", "Correct"), ("wrong", "Wrong"), ("clear", "Withdraw my verdict")]
    )
    label = forms.CharField(
        label="The character really written",
        required=False,
        max_length=1,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false", "size": 2}
        ),
    )

    def correct(self) -> bool | None:
        return {"correct": True, "wrong": False}.get(self.cleaned_data["verdict"])


class TrainingUseForm(forms.Form):
    allowed = forms.BooleanField(required=False)
