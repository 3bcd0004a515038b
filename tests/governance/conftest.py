import pytest


@pytest.fixture
def sessions_as_in_production(settings):
    """Sessions read from the cache (``cached_db``, what settings choose when REDIS_URL is
    set), with or without services: a page's query count is then the same in both runs."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
