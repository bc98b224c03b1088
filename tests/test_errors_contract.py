"""Every GaGoalsError subclass, in every module: pickles (errors cross process pools), hashes, and
keeps its message and hint on the way back."""

from __future__ import annotations

import importlib
import pickle
import pkgutil

import pytest

import ga_goals
from ga_goals.errors import GaGoalsError, Location, PlanFileError, Problem


def _all_subclasses() -> list[type[GaGoalsError]]:
    for module in pkgutil.walk_packages(ga_goals.__path__, "ga_goals."):
        if module.name.endswith("__main__"):
            continue
        importlib.import_module(module.name)
    seen: list[type[GaGoalsError]] = []
    todo: list[type[GaGoalsError]] = [GaGoalsError]
    while todo:
        cls = todo.pop()
        if cls not in seen:
            seen.append(cls)
            todo.extend(cls.__subclasses__())
    return sorted(seen, key=lambda c: f"{c.__module__}.{c.__qualname__}")


CLASSES = _all_subclasses()


def _instance(cls: type[GaGoalsError]) -> GaGoalsError:
    if issubclass(cls, PlanFileError):
        return cls([Problem(Location("plan.yaml", 3, 5), "unknown key 'x'")])
    return cls("something went wrong", hint="do this instead")


def test_the_walk_finds_the_errors_of_every_layer() -> None:
    names = {c.__name__ for c in CLASSES}
    assert {"PlanFileError", "ApiError", "CredentialsError", "MailError", "PeriodError", "EventsInUse"} <= names


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_pickles_and_hashes(cls: type[GaGoalsError]) -> None:
    error = _instance(cls)
    error.exit_code  # noqa: B018 - every error has one
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is cls
    assert str(back) == str(error)
    assert back.hint == error.hint
    assert {error: 1}[error] == 1  # hashable (by identity, like any exception)
    if isinstance(error, PlanFileError):
        assert back.problems == error.problems


def test_a_plan_file_error_is_still_its_problems() -> None:
    error = PlanFileError([Problem(Location("b.yaml", 2, 1), "second"), Problem(Location("a.yaml", 1, 1), "first")])
    assert str(error) == "a.yaml:1:1: first\nb.yaml:2:1: second"
    assert [p.message for p in error.errors] == ["second", "first"]
