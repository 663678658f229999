"""Words and the student's own name as exercises, written letter by letter: the teacher's
form and the service, the word a name gives, where a student is in a word, and progress
counted in words written in full."""

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from classroom import selectors, services
from classroom.models import Attempt, Classroom, Exercise, User
from classroom.tests.factories import (
    AttemptFactory,
    ExerciseFactory,
    MembershipFactory,
    StudentFactory,
)
from classroom.words import NAME_CHARSET, name_word, parse_words

pytestmark = pytest.mark.django_db

WORDS = {
    "kind": "words",
    "title": "First words",
    "words": "cat, dog sun",
    "repetitions": "2",
    "order": "as_written",
    "case_rule": "strict",
    "tries": "2",
}


def _post(client_as, classroom: Classroom, **changes: str):
    url = reverse("exercise_create", kwargs={"pk": classroom.pk})
    return client_as(classroom.teacher).post(url, {**WORDS, **changes})


def _fields(**changes) -> services.ExerciseFields:
    base = {"title": "W", "characters": "", "repetitions": 1, "order": "as_written",
            "case_rule": "strict", "due_at": None, "show_tracing": True,
            "kind": Exercise.Kind.WORDS, "words": "cat"}  # fmt: skip
    return services.ExerciseFields(**{**base, **changes})


def test_a_teacher_creates_a_words_exercise_that_practises_the_words_letters(
    client_as, classroom: Classroom
) -> None:
    response = _post(client_as, classroom)
    assert response.status_code == 302
    exercise = Exercise.objects.get(classroom=classroom)
    assert (exercise.kind, exercise.words, exercise.characters) == (
        "words",
        "cat dog sun",
        "catdogsun",
    )
    assert exercise.word_list == ["cat", "dog", "sun"] and exercise.total_writes == 6


@pytest.mark.parametrize(
    ("words", "code_text"),
    [
        ("", "at least one word"),
        ("café", "'é'"),
        ("cat-dog", "'-'"),
        ("abcdefghijklm", "at most 12 letters"),
        (" ".join(f"w{i}" for i in range(13)), "At most 12 words"),
        ("cat dog cat", "once"),
    ],
)
def test_bad_words_are_a_form_error_on_the_words(
    client_as, classroom: Classroom, words: str, code_text: str
) -> None:
    response = _post(client_as, classroom, words=words)
    assert response.status_code == 200
    assert code_text in response.context["form"].errors["words"][0]
    assert not Exercise.objects.exists()


@pytest.mark.parametrize(
    ("words", "code"),
    [
        ("", "empty"),
        ("ca$t", "unknown_character"),
        ("abcdefghijklm", "word_too_long"),
        ("a b c d e f g h i j k l m", "too_many_words"),
        ("sun sun", "repeated_word"),
    ],
)
def test_parse_words_names_each_problem_with_a_stable_code(words: str, code: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_words(words)
    assert raised.value.code == code


def test_the_service_checks_the_words_too(classroom: Classroom) -> None:
    with pytest.raises(ValidationError) as raised:
        services.exercise_create(classroom=classroom, fields=_fields(words="a+b"))
    assert "words" in raised.value.message_dict
    assert not Exercise.objects.exists()


def test_the_kind_of_an_exercise_is_kept_when_it_is_edited(client_as, classroom) -> None:
    exercise = services.exercise_create(classroom=classroom, fields=_fields(words="cat dog"))
    url = reverse("exercise_edit", kwargs={"pk": exercise.pk})
    response = client_as(classroom.teacher).post(
        url, {**WORDS, "kind": "characters", "words": "sun", "characters": "xyz"}
    )
    assert response.status_code == 302
    exercise.refresh_from_db()
    assert (exercise.kind, exercise.words, exercise.characters) == ("words", "sun", "sun")


@pytest.mark.parametrize(
    ("first_name", "username", "word", "skipped"),
    [
        ("Ada", "ada.12", "Ada", ""),
        ("Zoë Smith", "zoe.44", "Zo", "ë"),
        ("Jean-Luc", "jl", "JeanLuc", "-"),
        ("", "ben.42", "ben", ""),
        ("李雷", "li.17", "", "李雷"),
    ],
)
def test_a_name_gives_the_word_of_its_letters(first_name, username, word, skipped) -> None:
    named = name_word(User(first_name=first_name, username=username))
    assert (named.word, named.skipped, named.usable) == (word, skipped, bool(word))


def test_an_own_name_exercise_tells_the_teacher_which_names_lose_characters(
    client_as, classroom: Classroom
) -> None:
    for name in ("Ada", "Zoë", "李雷"):
        MembershipFactory.create(
            classroom=classroom, student=StudentFactory.create(first_name=name)
        )
    response = _post(client_as, classroom, kind="own_name", words="", title="My name")
    assert response.status_code == 302
    exercise = Exercise.objects.get(classroom=classroom)
    assert (exercise.kind, exercise.words, exercise.characters) == ("own_name", "", NAME_CHARSET)
    said = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "Zoë (ë)" in said and "李雷" in said and "Ada" not in said
    detail = client_as(classroom.teacher).get(reverse("exercise_detail", args=[exercise.pk]))
    html = detail.content.decode()
    assert 'data-word="Zo"' in html and "ë left out" in html and "Nothing to practise" in html


def _letters(student, exercise, word, write, *, correct=True, upto=None):
    for i, ch in enumerate(word[:upto]):
        AttemptFactory.create(
            student=student, exercise=exercise, target=ch, word=word, word_write=write,
            letter_index=i, correct=correct, status=Attempt.Status.RECOGNIZED,
        )  # fmt: skip


@pytest.fixture
def words(classroom: Classroom) -> Exercise:
    return services.exercise_create(
        classroom=classroom, fields=_fields(words="cat dog", repetitions=2, tries=2)
    )


def test_a_student_starts_with_the_first_letter_of_the_first_word(student, words) -> None:
    place = selectors.word_next(student=student, exercise=words)
    assert place == selectors.WordPlace("cat", 1, 0) and place.letter == "c"


def test_each_letter_right_moves_on_to_the_next_then_the_next_word(student, words) -> None:
    _letters(student, words, "cat", 1, upto=2)
    assert selectors.word_next(student=student, exercise=words) == selectors.WordPlace("cat", 1, 2)
    _letters(student, words, "cat", 1)  # the whole word
    assert selectors.word_next(student=student, exercise=words) == selectors.WordPlace("dog", 2, 0)


def test_a_letter_not_right_is_tried_again_then_left_and_the_word_comes_back(
    student, words
) -> None:
    _letters(student, words, "cat", 1, upto=1)
    AttemptFactory.create(student=student, exercise=words, target="a", word="cat", word_write=1,
                          letter_index=1, correct=False, status="recognized")  # fmt: skip
    assert selectors.word_next(student=student, exercise=words) == selectors.WordPlace("cat", 1, 1)
    AttemptFactory.create(student=student, exercise=words, target="a", word="cat", word_write=1,
                          letter_index=1, correct=False, status="recognized")  # fmt: skip
    # Two tries: on to "t"; after it, "cat" is not complete, so "dog" comes first.
    assert selectors.word_next(student=student, exercise=words) == selectors.WordPlace("cat", 1, 2)
    AttemptFactory.create(student=student, exercise=words, target="t", word="cat", word_write=1,
                          letter_index=2, correct=True, status="recognized")  # fmt: skip
    assert selectors.word_next(student=student, exercise=words) == selectors.WordPlace("dog", 2, 0)
    assert selectors.word_plan(student=student, exercise=words) == ["cat", "cat", "dog", "dog"]


def test_a_letter_saved_unchecked_moves_on(student, words) -> None:
    AttemptFactory.create(student=student, exercise=words, target="c", word="cat", word_write=1,
                          letter_index=0, correct=None, status="pending")  # fmt: skip
    assert selectors.word_next(student=student, exercise=words) == selectors.WordPlace("cat", 1, 1)


def test_progress_counts_words_written_in_full_capped_at_the_repetitions(student, words) -> None:
    for write in (1, 2, 3):  # "cat" three times: counted twice
        _letters(student, words, "cat", write)
    _letters(student, words, "dog", 4, upto=2)  # not finished
    _letters(student, words, "dog", 5, correct=False)  # every letter wrong
    progress = selectors.progress_for(exercises=[words], students=[student])
    assert progress[(words.pk, student.pk)] == selectors.Progress(2, 4, words=True)
    assert selectors.word_plan(student=student, exercise=words) == ["dog", "dog"]


def test_when_every_word_is_written_the_exercise_is_done_and_another_round_goes_on(
    student, words
) -> None:
    for write, word in enumerate(["cat", "cat", "dog", "dog"], start=1):
        _letters(student, words, word, write)
    assert selectors.word_next(student=student, exercise=words) is None
    again = selectors.word_next(student=student, exercise=words, again=True)
    assert again == selectors.WordPlace("cat", 5, 0)


def test_an_own_name_exercise_is_the_students_own_name(classroom, student) -> None:
    exercise = services.exercise_create(
        classroom=classroom, fields=_fields(kind=Exercise.Kind.OWN_NAME, words="", repetitions=3)
    )
    assert exercise.words_for(student) == ["Ada"]
    assert selectors.word_next(student=student, exercise=exercise) == selectors.WordPlace(
        "Ada", 1, 0
    )
    _letters(student, exercise, "Ada", 1)
    assert selectors.progress_for(exercises=[exercise], students=[student])[
        (exercise.pk, student.pk)
    ] == selectors.Progress(1, 3, words=True)


def test_a_student_whose_name_has_no_letters_has_nothing_to_write(classroom) -> None:
    exercise = services.exercise_create(
        classroom=classroom, fields=_fields(kind=Exercise.Kind.OWN_NAME, words="")
    )
    nameless = StudentFactory.create(first_name="李雷")
    MembershipFactory.create(classroom=classroom, student=nameless)
    assert selectors.word_next(student=nameless, exercise=exercise) is None
    assert selectors.progress_for(exercises=[exercise], students=[nameless])[
        (exercise.pk, nameless.pk)
    ] == selectors.Progress(0, 0, words=True)


def test_the_practice_page_shows_the_word_with_the_current_letter(
    client_as, student, words
) -> None:
    _letters(student, words, "cat", 1, upto=1)
    response = client_as(student).get(reverse("practice", args=[words.pk]))
    html = response.content.decode()
    config = response.context["config"]
    assert config["word"] == {"text": "cat", "index": 1} and config["targets"] == ["a", "t"]
    assert config["progress"] == {"done": 0, "total": 4, "unit": "words"}
    assert 'is-current" data-index="1">a<' in html


def test_a_service_submit_refuses_a_target_that_is_not_the_words_letter(student, words) -> None:
    with pytest.raises(services.ClassroomError) as raised:
        services.attempt_submit(
            student=student, exercise=words, target="x", strokes=[[[0, 0], [10, 10]]],
            time_taken_ms=None, place=selectors.WordPlace("cat", 1, 0),
        )  # fmt: skip
    assert raised.value.code == "bad_target"
    assert not Attempt.objects.exists()


def test_progress_of_words_and_characters_takes_two_queries_for_a_whole_class(
    classroom: Classroom, words, django_assert_num_queries
) -> None:
    letters = ExerciseFactory.create(classroom=classroom, characters="ab")
    students = [StudentFactory.create() for _ in range(8)]
    for s in students:
        _letters(s, words, "cat", 1)
        AttemptFactory.create(student=s, exercise=letters, target="a")
    with django_assert_num_queries(2):
        progress = selectors.progress_for(exercises=[words, letters], students=students)
    assert all(progress[(words.pk, s.pk)].done == 1 for s in students)
    assert all(progress[(letters.pk, s.pk)].done == 1 for s in students)


def _dashboard_queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_dashboard_shows_each_word_and_costs_the_same_queries_for_5_or_40_students(
    client_as, classroom: Classroom, words: Exercise
) -> None:
    def grow(n: int) -> None:
        for _ in range(n):
            s = StudentFactory.create()
            MembershipFactory.create(classroom=classroom, student=s)
            _letters(s, words, "cat", 1)
            AttemptFactory.create(student=s, exercise=words, target="o", word="dog", word_write=2,
                                  letter_index=1, correct=False, status="recognized")  # fmt: skip

    client = client_as(classroom.teacher)
    url = reverse("class_dashboard", kwargs={"pk": classroom.pk})
    grow(5)
    small = _dashboard_queries(client, url)
    grow(35)
    assert _dashboard_queries(client, url) == small
    response = client.get(url)
    rows = {r.word: r for r in response.context["dashboard"].words}
    assert (rows["cat"].students, rows["cat"].writes, rows["cat"].hardest) == (40, 40, "")
    assert (rows["dog"].writes, rows["dog"].hardest, rows["dog"].hardest_missed) == (0, "o", 40)
    html = response.content.decode()
    assert 'id="words"' in html and 'data-word="dog"' in html and "1 / 4 words" in html
