import pytest
from django.urls import reverse

NAV_PAGES = [
    "home",
    "catalog:search",
    "catalog:browse",
    "metrics_dictionary:index",
    "lineage:index",
    "governance:index",
    "catalog:ingest_runs",
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", NAV_PAGES)
def test_every_page_asks_an_anonymous_visitor_to_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", NAV_PAGES[1:])
def test_an_outsider_without_a_role_is_refused(client, outsider, name):
    client.force_login(outsider)
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", NAV_PAGES)
def test_a_viewer_sees_every_section_with_navigation_and_search_box(viewer_client, name):
    response = viewer_client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("Search", "Catalog", "Metrics", "Lineage", "Governance", "Ingest runs"):
        assert f">{label}</a>" in html
    assert 'id="global-search-input"' in html
    assert 'aria-current="page"' in html or name == "home"


def test_home_on_an_empty_catalog_says_what_to_do_next(viewer_client):
    html = viewer_client.get(reverse("home")).content.decode()
    assert "The catalog is empty" in html
    assert "python manage.py ingest_dbt" in html


def test_login_page_signs_a_user_in_and_lands_on_home(client, viewer):
    from tests.conftest import PASSWORD

    response = client.post(
        reverse("login"), {"username": "vera", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Signed in as" in response.content.decode()


def test_a_wrong_password_is_refused_with_a_message(client, viewer):
    response = client.post(reverse("login"), {"username": "vera", "password": "nope"})
    assert response.status_code == 200
    assert "did not match" in response.content.decode()


def test_an_htmx_request_gets_only_the_fragment(viewer_client):
    page = viewer_client.get(reverse("catalog:search"), {"q": "x"}).content.decode()
    fragment = viewer_client.get(
        reverse("catalog:search"), {"q": "x"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" in page
    assert "<html" not in fragment
    assert "No results for" in fragment


def test_vendored_htmx_is_served(viewer_client, settings):
    response = viewer_client.get(reverse("home"))
    assert "vendor/htmx-2.0.11/htmx.min.js" in response.content.decode()


def test_home_links_each_kind_to_its_catalog_listing(example_catalog, viewer_client):

    html = viewer_client.get(reverse("home")).content.decode()
    assert "The catalog is empty" not in html
    assert 'href="/catalog/?kind=semantic_model"' in html
    listing = viewer_client.get("/catalog/?kind=semantic_model").content.decode()
    assert listing.count('class="badge badge-kind">Semantic model<') == 4
