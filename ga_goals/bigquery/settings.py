"""The checks on what a user configures for BigQuery: the export dataset's name and job labels."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ga_goals.errors import GaGoalsError

#: What a GA4 export dataset is called, for error messages.
DATASET_FORM = "PROJECT.analytics_NNN (the Google Cloud project id, a dot, and the GA4 export dataset, e.g. my-project.analytics_123456789)"

# Project ids: 6-30 characters, lowercase letters, digits and hyphens, starting with a letter and
# not ending with a hyphen; older domain-scoped projects are written "example.com:my-project".
_PROJECT = re.compile(r"^(?:[a-z0-9][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$")
# Dataset ids: letters, digits and underscores, at most 1024.
_DATASET = re.compile(r"^[A-Za-z0-9_]{1,1024}$")

#: The label every job ga-goals runs carries.
TOOL_LABEL = ("tool", "ga-goals")
_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
MAX_LABELS = 64


class BigQueryConfigError(GaGoalsError):
    """A BigQuery setting (dataset name, label, cap, endpoint) is malformed."""


@dataclass(frozen=True)
class DatasetRef:
    """``project.dataset``, checked."""

    project: str
    dataset: str

    def __str__(self) -> str:
        return f"{self.project}.{self.dataset}"


def parse_dataset(text: str) -> DatasetRef:
    """``"my-project.analytics_123"`` -> DatasetRef; a clear :class:`BigQueryConfigError` otherwise."""
    raw = text.strip().strip("`")
    project, dot, dataset = raw.rpartition(".")
    problem = None
    if not dot:
        hint = " (write a dot, not a colon, between project and dataset)" if ":" in raw else ""
        problem = f"it has no project part{hint}"
    elif not _PROJECT.match(project):
        problem = f"{project!r} is not a Google Cloud project id (6-30 lowercase letters, digits and hyphens)"
    elif not _DATASET.match(dataset):
        problem = f"{dataset!r} is not a dataset id (letters, digits and underscores)"
    if problem:
        raise BigQueryConfigError(f"BigQuery dataset {text!r}: {problem}; expected {DATASET_FORM}")
    return DatasetRef(project, dataset)


def job_labels(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """``tool=ga-goals`` plus ``extra``, each checked against BigQuery's label rules."""
    labels = dict([TOOL_LABEL])
    for key, value in (extra or {}).items():
        value = str(value)
        if key == TOOL_LABEL[0]:
            raise BigQueryConfigError(
                f"BigQuery label {key!r} is reserved: every job ga-goals runs carries tool=ga-goals"
            )
        if not _LABEL_KEY.match(key):
            raise BigQueryConfigError(
                f"BigQuery label key {key!r} is not valid: 1-63 characters, lowercase letters, digits, '_' and '-', "
                "starting with a letter"
            )
        if not _LABEL_VALUE.match(value):
            raise BigQueryConfigError(
                f"BigQuery label {key}={value!r}: the value is not valid: at most 63 lowercase letters, digits, '_' and '-'"
            )
        labels[key] = value
    if len(labels) > MAX_LABELS:
        raise BigQueryConfigError(f"BigQuery allows at most {MAX_LABELS} labels on a job, not {len(labels)}")
    return labels
