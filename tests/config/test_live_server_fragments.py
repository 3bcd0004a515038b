"""The live test server answers an asset page's fragments when they arrive in parallel.

The asset page loads its owners, tier policy, description, deprecation banner and PII
badges as fragments (``hx-trigger="load"``), so a browser asks for them at the same
moment, often while another tab signs in, and the server answers each request in its own
thread. On SQLite those threads once shared the test database's single in-memory
connection, and a parallel pair failed with ``sqlite3.InterfaceError`` (a 500, a browser
test timing out). Now each request thread opens its own connection to a file database,
as runserver and a real server do.
"""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie

from django.conf import settings

from catalog.models import Asset
from tests.conftest import PASSWORD

ROUNDS = 4  # each fragment this many times at once
SIGN_INS = 6  # sessions written while the fragments are read


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _request(url: str, *, cookie: str = "", htmx: bool = False, form: dict | None = None):
    headers = {"Cookie": cookie} if cookie else {}
    if htmx:
        headers["HX-Request"] = "true"
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    try:
        request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 (the live server)
        with _opener.open(request, timeout=60) as response:
            return response.status, response.read().decode(), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace"), exc.headers


def _sign_in_form(base: str, username: str) -> tuple[str, dict]:
    """The login page's CSRF cookie and form, fetched ahead of the parallel burst."""
    status, html, headers = _request(f"{base}/login/")
    assert status == 200
    jar = SimpleCookie()
    for value in headers.get_all("Set-Cookie") or []:
        jar.load(value)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    cookie = f"{settings.CSRF_COOKIE_NAME}={jar[settings.CSRF_COOKIE_NAME].value}"
    return cookie, {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}


def test_every_fragment_of_an_asset_page_answers_when_all_load_at_once(
    live_server, example_catalog, viewer, client
):
    base = live_server.url
    client.force_login(viewer)
    session = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    users = Asset.objects.get(kind="model", name="dim_users")
    status, page, _headers = _request(f"{base}/assets/{users.pk}/?tab=columns", cookie=session)
    assert status == 200
    fragments = sorted(set(re.findall(r'hx-get="([^"]+)" hx-trigger="load', page)))
    assert len(fragments) >= 4, fragments  # owners, policy, description, banner, PII badges

    jobs = [("fragment", f"{base}{path}", session, None) for path in fragments] * ROUNDS
    jobs += [
        ("sign-in", f"{base}/login/", *_sign_in_form(base, viewer.username))
        for _ in range(SIGN_INS)
    ]
    start = threading.Barrier(len(jobs))

    def run(job):
        kind, url, cookie, form = job
        start.wait(timeout=60)  # every request leaves at the same moment
        code, body, _ = _request(url, cookie=cookie, htmx=kind == "fragment", form=form)
        return kind, url, code, body

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        answers = list(pool.map(run, jobs))
    expected = {"fragment": 200, "sign-in": 302}
    failed = [
        (kind, url, code, body[-300:])
        for kind, url, code, body in answers
        if code != expected[kind]
    ]
    assert not failed, f"{len(failed)} of {len(answers)} parallel requests failed: {failed[:3]}"
