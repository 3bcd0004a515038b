import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_secret, env_str


def test_it_reads_true_and_false_words(monkeypatch):
    monkeypatch.setenv("X_FLAG", "Yes")
    assert env_bool("X_FLAG", False) is True
    monkeypatch.setenv("X_FLAG", "off")
    assert env_bool("X_FLAG", True) is False


def test_it_refuses_yes_ish_nonsense(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yep")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG='yep' is not a boolean"):
        env_bool("X_FLAG", False)


def test_it_uses_the_default_when_unset_or_blank(monkeypatch):
    monkeypatch.setenv("X_NUM", "  ")
    assert env_int("X_NUM", 7) == 7
    assert env_list("X_LIST_UNSET", ["a"]) == ["a"]


def test_it_refuses_a_non_number_and_a_number_below_minimum(monkeypatch):
    monkeypatch.setenv("X_NUM", "12abc")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("X_NUM", 1)
    monkeypatch.setenv("X_NUM", "0")
    with pytest.raises(ImproperlyConfigured, match="below the minimum"):
        env_int("X_NUM", 1, minimum=1)


def test_it_requires_a_variable_without_default(monkeypatch):
    monkeypatch.delenv("X_REQUIRED", raising=False)
    with pytest.raises(ImproperlyConfigured, match="X_REQUIRED is required"):
        env_str("X_REQUIRED")


def test_it_splits_lists_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("X_LIST", "a.example, b.example,,")
    assert env_list("X_LIST", []) == ["a.example", "b.example"]


def test_it_reads_a_secret_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("s3cret\n")
    monkeypatch.delenv("X_SECRET", raising=False)
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert env_secret("X_SECRET") == "s3cret"


def test_it_refuses_a_secret_set_twice(monkeypatch, tmp_path):
    monkeypatch.setenv("X_SECRET", "a")
    monkeypatch.setenv("X_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="only one of X_SECRET and X_SECRET_FILE"):
        env_secret("X_SECRET")


def test_it_names_an_unreadable_secret_file(monkeypatch, tmp_path):
    monkeypatch.delenv("X_SECRET", raising=False)
    monkeypatch.setenv("X_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="X_SECRET_FILE=.* cannot be read"):
        env_secret("X_SECRET")
