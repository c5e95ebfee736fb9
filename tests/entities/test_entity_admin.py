from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from entities.models import Entity
from tests.factories import make_entity

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client() -> Client:
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests-1")
    client = Client()
    client.force_login(user)
    return client


def test_the_django_admin_shows_the_list_but_cannot_change_it(superuser_client: Client) -> None:
    entity = make_entity("Acme Rocket Works", aliases=("Acme",))
    assert "Acme Rocket Works" in superuser_client.get("/django-admin/entities/entity/?q=acme").content.decode()
    page = superuser_client.get(f"/django-admin/entities/entity/{entity.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    response = superuser_client.post(f"/django-admin/entities/entity/{entity.pk}/change/", {"name": "Changed"})
    assert response.status_code == 403
    assert superuser_client.get("/django-admin/entities/entity/add/").status_code == 403
    version_id = entity.last_version_id
    assert superuser_client.get(f"/django-admin/entities/listversion/{version_id}/change/").status_code == 200
    assert Entity.objects.get().name == "Acme Rocket Works"
