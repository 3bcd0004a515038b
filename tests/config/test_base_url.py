"""LEXICON_BASE_URL, where emails and feeds link: by default the address `make run` serves."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRINT_BASE_URL = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.LEXICON_BASE_URL)"
)


def base_url(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in {"HOST", "PORT", "LEXICON_BASE_URL"}}
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "true", **env})
    result = subprocess.run(
        [sys.executable, "-c", PRINT_BASE_URL],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://localhost:8000"),
        ({"HOST": "127.0.0.1", "PORT": "8765"}, "http://127.0.0.1:8765"),
        ({"HOST": "0.0.0.0", "PORT": "9000"}, "http://localhost:9000"),  # noqa: S104 (all interfaces: this machine)
        ({"HOST": "::1"}, "http://[::1]:8000"),
        (
            {
                "HOST": "127.0.0.1",
                "PORT": "8765",
                "LEXICON_BASE_URL": "https://lexicon.example.com/",
            },
            "https://lexicon.example.com",
        ),
    ],
)
def test_links_point_where_make_run_serves_unless_the_base_url_is_set(env, expected):
    assert base_url(**env) == expected
