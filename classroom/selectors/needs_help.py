"""Who needs help with what: each student's one or two formation problems that matter most,
and the characters and checks the class fails most often, from the attempts' failed checks
(CONTRACTS section 8). Two queries whatever the class's size: one grouped scan of the
covering index, one fetch of the example attempts."""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import Count, Max, QuerySet

from classroom.models import Attempt, Classroom, User
from classroom.selectors.attempts import AttemptFilters, _character_order, plain_rows
from classroom.selectors.classes import classroom_exercises

#: A problem is named once it happened at least this often.
MIN_COUNT = 2
#: Problems named per student, and characters and checks named for the class.
PER_STUDENT = 2
TOP_CHARACTERS = 6

# What each failed check says about a child, in a teacher's words ({} is the characters).
PROBLEMS = {
    "orientation": "reverses {}",
    "start": "starts {} in the wrong place",
    "order": "mixes up the stroke order of {}",
    "direction": "draws {} the wrong way round",
    "size": "writes {} too small or too big",
    "placement": "does not sit {} on the baseline",
    "case": "mixes up capital and small {}",
    "legible": "{} hard to read",
}
CHECK_LABELS = {
    "legible": "Readable",
    "orientation": "Faces the right way",
    "start": "Start point",
    "order": "Stroke order",
    "direction": "Stroke direction",
    "size": "Size",
    "placement": "On the baseline",
    "case": "Capital or small",
}


@dataclass(frozen=True)
class Problem:
    check: str
    characters: list[str]
    count: int
    example_id: int | None
    hint: str  # the child's message on the example attempt ("Start at the top.")

    @property
    def text(self) -> str:
        chars = self.characters
        named = " and ".join([", ".join(chars[:-1]), chars[-1]] if len(chars) > 1 else chars)
        text = PROBLEMS[self.check].format(named)
        if self.check == "legible":
            text = "finds " + text
        if self.check == "placement" and self.hint.startswith("Sit it"):
            text = f"{named} float above the baseline"
        return text


@dataclass(frozen=True)
class StudentNeeds:
    student: User
    problems: list[Problem]


@dataclass(frozen=True)
class NeedsHelp:
    students: list[StudentNeeds]  # only those with a problem, most problems first
    characters: list[tuple[str, int, int]]  # (character, attempts not passed, attempts)
    checks: list[tuple[str, str, int]]  # (check, label, failures), most failed first


class Group(NamedTuple):
    """Attempts grouped by student, target, failed checks and status: how many (`n`) and the
    newest one's id (`last`). The dashboard's one scan gives these too (more finely grouped)."""

    student_id: int
    target: str
    failed_checks: str
    status: str
    n: int
    last: int


def class_needs_help(
    *, classroom: Classroom, students: list[User], filters: AttemptFilters | None = None
) -> NeedsHelp:
    """The "needs help" summary of the class's dashboard (see the module docstring)."""
    filters = filters or AttemptFilters()
    exercise_ids = [e.pk for e in classroom_exercises(classroom=classroom, include_archived=True)]
    attempts = filters.apply(Attempt.objects.filter(exercise_id__in=exercise_ids))
    groups = (
        attempts.filter(status=Attempt.Status.RECOGNIZED)
        .values_list("student_id", "target", "failed_checks", "status")
        .annotate(n=Count("id"), last=Max("id"))
        .order_by()
    )
    return needs_help_from(
        map(Group._make, plain_rows(groups)), attempts=attempts, students=students
    )


def needs_help_from(
    groups: Iterable[Group], *, attempts: QuerySet[Attempt], students: list[User]
) -> NeedsHelp:
    """The summary from attempts grouped by at least student, target, failed checks and
    status (`Group`s; `last` is the newest attempt's id): the dashboard's one scan serves it
    too. `attempts` (the same filtered attempts) gives the examples."""
    per_check: dict[tuple[int, str], Counter[str]] = defaultdict(Counter)
    latest: dict[tuple[int, str, str], int] = {}
    tried: Counter[str] = Counter()
    failed_chars: Counter[str] = Counter()
    failed_checks: Counter[str] = Counter()
    recognized = Attempt.Status.RECOGNIZED
    for sid, target, failed, status, n, last in groups:
        if status != recognized:
            continue
        tried[target] += n
        if not failed:
            continue
        names = failed.split(",")
        failed_chars[target] += n
        if len(names) > 1:  # "backwards" or "too small" says more than "hard to read"
            names = [c for c in names if c != "legible"]
        for name in names:
            failed_checks[name] += n
            per_check[(sid, name)][target] += n
            key = (sid, name, target)
            if latest.get(key, 0) < last:
                latest[key] = last

    chosen: dict[int, list[tuple[str, Counter[str]]]] = defaultdict(list)
    for (sid, name), chars in per_check.items():
        if sum(chars.values()) >= MIN_COUNT:
            chosen[sid].append((name, chars))
    for sid in chosen:
        chosen[sid] = sorted(chosen[sid], key=lambda p: -sum(p[1].values()))[:PER_STUDENT]

    # The newest attempt of each named problem's commonest character, as its example.
    wanted = {
        latest[(sid, name, chars.most_common(1)[0][0])]: (sid, name)
        for sid, problems in chosen.items()
        for name, chars in problems
    }
    examples: dict[tuple[int, str], Attempt] = {}
    if wanted:
        for attempt in attempts.filter(pk__in=list(wanted)).only("id", "student_id", "checks"):
            examples[wanted[attempt.pk]] = attempt

    needs = []
    for student in students:
        problems = []
        for name, chars in chosen.get(student.pk, []):
            example = examples.get((student.pk, name))
            hint = next(
                (c["message"] for c in (example.checks if example else []) if c["name"] == name),
                "",
            )
            ordered = [c for c, _ in chars.most_common(2)]
            problems.append(
                Problem(name, ordered, sum(chars.values()), example.pk if example else None, hint)
            )
        if problems:
            needs.append(StudentNeeds(student, problems))
    needs.sort(key=lambda s: -sum(p.count for p in s.problems))
    characters = sorted(
        ((ch, n, tried[ch]) for ch, n in failed_chars.items()),
        key=lambda row: (-row[1] / max(row[2], 1), _character_order(row[0])),
    )[:TOP_CHARACTERS]
    checks = [(name, CHECK_LABELS[name], n) for name, n in failed_checks.most_common()]
    return NeedsHelp(needs, characters, checks)
