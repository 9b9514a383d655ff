"""Problems found in input: collected, never raised one at a time, reported all at once."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    file: str  # path relative to the repository root
    record: str  # record id, or "" when the problem is about the file as a whole
    field: str  # field name, or ""
    message: str

    def __str__(self) -> str:
        return f"{self.file}: record {self.record or '-'}: field {self.field or '-'}: {self.message}"


SHOWN = 5  # problems named in the exception's message; report() names every one


class ProblemsFound(Exception):
    """Raised at the end of a stage that found problems; carries every one of them."""

    def __init__(self, problems: list[Problem], consequence: str = "nothing was published"):
        self.problems = sorted(set(problems))
        self.consequence = consequence
        # the exception's own text names them too, for pandas users who see only a traceback
        shown = "; ".join(str(p) for p in self.problems[:SHOWN])
        more = f"; and {len(self.problems) - SHOWN} more" if len(self.problems) > SHOWN else ""
        super().__init__(f"{len(self.problems)} problem(s): {shown}{more}")

    def report(self) -> str:
        lines = [str(p) for p in self.problems]
        lines.append(f"{len(self.problems)} problem(s); {self.consequence}.")
        return "\n".join(lines)


def raise_if(problems: list[Problem], consequence: str = "nothing was published") -> None:
    if problems:
        raise ProblemsFound(problems, consequence)


# Refusals that are not problems in the input; here so the CLI can name them without importing
# the stages (and pandas with them) for a command that never runs those stages.
class BuildLocked(Exception):
    """Another build holds the lock."""


class PublishInterrupted(Exception):
    """A publish failed after its commit point: the journal is there for the next run to finish."""


class CurationError(Exception):
    """A refusal with a message for the curator (duplicate article, undecodable file...)."""
