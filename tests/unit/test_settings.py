"""One typed table of settings (``signalhooks.conf.Settings``): validation, the checks'
hints and docs/settings.md all agree with it."""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from signalhooks import conf

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "settings.md").read_text()
#: A row of the page's table: key, default, accepts, meaning.
ROW = re.compile(r"^\| `([A-Z_]+)` \| `([^`]+)`[^|]* \| ([^|]+) \| .+ \|$", re.M)


def test_the_settings_block_of_the_page_is_every_default():
    [block] = re.findall(r"^```python settings\n(.*?)^```", PAGE, re.S | re.M)
    namespace: dict[str, Any] = {}
    exec(block, namespace)
    assert namespace["SIGNALHOOKS"] == conf.DEFAULTS


def test_the_table_of_the_page_has_every_key_its_default_and_what_it_accepts():
    rows = {key: (default, accepts) for key, default, accepts in ROW.findall(PAGE)}
    assert sorted(rows) == sorted(conf.SETTINGS)
    for key, (default, accepts) in rows.items():
        setting = conf.SETTINGS[key]
        assert eval(default, {"__builtins__": {}}) == setting.default, key
        assert accepts == conf.describe(setting), key


@pytest.mark.parametrize("setting", conf.SETTINGS.values(), ids=list(conf.SETTINGS))
def test_validation_follows_the_table(setting: conf.Setting):
    key = setting.name
    assert conf.validate({key: setting.default}) == []
    [problem] = conf.validate({key: {}})  # a type no setting takes
    assert key in problem
    if setting.type in (int, float):
        [problem] = conf.validate({key: True})  # numbers are never bool
        assert key in problem
    if setting.minimum is not None:
        below = setting.minimum - (1 if setting.type is int else 0.0005)
        value: Any = [below] if typing.get_origin(setting.type) is tuple else below
        [problem] = conf.validate({key: value})
        assert key in problem and (str(setting.minimum) in problem or ">= 0" in problem)
    if setting.choices:
        [problem] = conf.validate({key: "other"})
        assert key in problem and all(choice in problem for choice in setting.choices)
    elif str in setting.accepted:
        [problem] = conf.validate({key: "  "})
        assert key in problem and "non-empty" in problem


def test_settings_are_typed_cached_and_dropped_when_changed():
    current = conf.settings()
    assert conf.settings() is current
    for setting in conf.SETTINGS.values():
        value = getattr(current, setting.attribute)
        if setting.type is float:
            assert type(value) is float, setting.name
    with override_settings(SIGNALHOOKS={"TIMEOUT": 3, "DURABLE_RETRY_SCHEDULE": [0, 2]}):
        changed = conf.settings()
        assert changed is not current
        assert changed.timeout == 3.0 and type(changed.timeout) is float
        assert changed.durable_retry_schedule == (0.0, 2.0)
    assert conf.settings().timeout == current.timeout
    with pytest.raises(AttributeError):  # frozen: nobody changes a setting in passing
        current.timeout = 1.0  # type: ignore[misc]


def test_the_checks_hints_come_from_the_table():
    with override_settings(SIGNALHOOKS={"RETRY_BACKOF": 1, "MAX_IN_FLIGHT": 0}):
        messages = {m.id: m for m in run_checks(tags=["signalhooks"]) if m.obj is None}
    assert "Did you mean 'RETRY_BACKOFF'?" in messages["signalhooks.E002"].hint
    hint = messages["signalhooks.E003"].hint
    setting = conf.SETTINGS["MAX_IN_FLIGHT"]
    assert conf.describe(setting) in hint and setting.meaning in hint and "default is 100" in hint
