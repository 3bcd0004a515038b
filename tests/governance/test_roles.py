import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from lexicon_core.roles import ROLES, user_roles


@pytest.mark.django_db
def test_the_five_role_groups_exist_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)


@pytest.mark.django_db
def test_create_demo_users_makes_one_user_per_role_and_prints_credentials(settings, capsys):
    settings.DEBUG = True
    call_command("create_demo_users")
    out = capsys.readouterr().out
    users = get_user_model().objects.filter(
        username__in=["viewer", "analyst", "owner", "reviewer", "admin"]
    )
    assert users.count() == 5
    assert {role for u in users for role in user_roles(u)} == set(ROLES)
    assert "viewer-demo-pass" in out
    assert get_user_model().objects.get(username="admin").check_password("admin-demo-pass")


@pytest.mark.django_db
def test_create_demo_users_is_idempotent(settings):
    settings.DEBUG = True
    call_command("create_demo_users")
    call_command("create_demo_users")
    assert get_user_model().objects.filter(username="viewer").count() == 1
    assert list(
        get_user_model().objects.get(username="viewer").groups.values_list("name", flat=True)
    ) == ["viewer"]


@pytest.mark.django_db
def test_create_demo_users_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="well-known passwords"):
        call_command("create_demo_users")


ROLES_PAGE_QUERIES = 3


@pytest.mark.django_db
@pytest.mark.parametrize("n_users", [3, 30])
@pytest.mark.usefixtures("sessions_as_in_production")
def test_the_roles_page_query_count_is_flat(client, admin_user, n_users, django_assert_num_queries):
    from django.urls import reverse

    for i in range(n_users):
        user = get_user_model().objects.create_user(f"person{i:02}")
        user.groups.add(Group.objects.get_or_create(name=ROLES[i % len(ROLES)])[0])
    client.force_login(admin_user)
    client.get(reverse("governance:index"))  # session warm-up
    with django_assert_num_queries(ROLES_PAGE_QUERIES):
        response = client.get(reverse("governance:roles"))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == n_users + 1  # and the admin
    assert dict((u.username, held) for u, held in rows)["person01"] == {ROLES[1]}
