import pytest
from django.test import Client
from django.urls import reverse

from classroom.models import Attempt, Classroom, Exercise, Membership, User
from classroom.tests.factories import AttemptFactory, MembershipFactory, UserFactory

MODELS = [User, Classroom, Membership, Exercise, Attempt]


@pytest.fixture
def admin_client_with_data(db) -> Client:
    MembershipFactory.create()
    AttemptFactory.create()
    client = Client()
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_the_admin_lists_and_searches_every_model(admin_client_with_data: Client, model) -> None:
    url = reverse(f"admin:classroom_{model._meta.model_name}_changelist")
    assert admin_client_with_data.get(url).status_code == 200
    assert admin_client_with_data.get(url, {"q": "a"}).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_the_admin_opens_every_model(admin_client_with_data: Client, model) -> None:
    obj = model.objects.first()
    change = reverse(f"admin:classroom_{model._meta.model_name}_change", args=[obj.pk])
    assert admin_client_with_data.get(change).status_code == 200
    add = reverse(f"admin:classroom_{model._meta.model_name}_add")
    assert admin_client_with_data.get(add).status_code == 200
