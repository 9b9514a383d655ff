"""Proposals in the extract's own form: what one sentence says of whom, linked by id.

`Linker` takes the names a sentence mentions (known records by their id, drafted ones by the id
their proposal was given) and returns finance rows with financier and recipient, parties with
roles, status events and funding constraints with the extract's keys (`financier_country_id`,
`organisation_id`, `project_id`...), so that a curator moves a proposal under its project and
deletes its `confidence` instead of typing it. A figure or stage whose sentence names no project
goes to the story's project (the one named most often so far), with a lower confidence.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from infratracker.intake import relations
from infratracker.intake.numbers import CLAUSE
from infratracker.intake.relations import Mention

# A party's key in a link, by the table its record is in.
PARTY_KEY = {"countries": "country_id", "organisations": "organisation_id", "blocs": "bloc_id"}
# Who pays, by the kind of money: a loan is a lender's, a grant a funder's, equity an investor's.
# The roles tried in order: "Russia will finance it with a state loan" makes Russia the lender.
FINANCIER_BY_KIND = {"loan": ("lender", "funder", "investor"), "credit_line": ("lender", "funder"),
                     "grant": ("funder", "lender"), "equity": ("investor", "funder"),
                     "investment": ("investor", "funder", "lender"), "budget_allocation": ("funder",),
                     "guarantee": ("lender", "funder")}
# The drafter's units by their codes in the `unit` codelist.
UNIT_CODES = {"passenger/a": "passengers/a"}
CONFIDENCE = {True: 0.6, False: 0.4}  # the project named in the sentence, or the story's
EVENT_STAGES = ("completion", "implementation", "cancelled")  # events with a date of their own
PARTIAL_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")


def basis(q: dict[str, Any], published: dt.date | None) -> str:
    """A figure for a year after publication is a target, for a year up to it was measured; with
    no year, a volume carried was measured and a size or capacity is the design's (the works of
    most news are not finished), which the curator corrects for a finished asset."""
    year = q.get("target_year")
    if year:
        return "target" if published is None or int(year) > published.year else "measured"
    if q.get("kind") in ("freight_volume", "passenger_volume", "trade_value", "progress", "share"):
        return "measured"
    return "design"


class Linker:
    def __init__(self, sentence: str, mentions: list[Mention], story: list[Mention], language: str = "en",
                 published: dt.date | None = None):
        self.sentence = sentence
        self.published = published
        self.mentions = sorted(dict.fromkeys(mentions), key=lambda m: (m.start, m.end))  # one per name and span
        self.story = story[-1] if story else None
        self.language = language
        self.roles = relations.roles(sentence, self.mentions, language)
        self.clauses = [m.start() for m in CLAUSE.finditer(sentence)]

    def _position(self, text: str | None) -> int:
        at = self.sentence.find(text) if text else -1
        return at if at >= 0 else 0

    def _project(self, at: int) -> tuple[Mention | None, bool]:
        here = relations.nearest(self.mentions, "projects", at)
        return (here, True) if here else (self.story, False)

    def quantity(self, q: dict[str, Any]) -> dict[str, Any]:
        """A quantity row: its project, then the fields of `quantities`; a range's ends in a note."""
        project, here = self._project(self._position(q.get("text")))
        row: dict[str, Any] = {"project_id": project.ref} if project else {}
        row |= {k: v for k, v in q.items() if k not in ("text", "range")}
        row["unit"] = UNIT_CODES.get(row["unit"], row["unit"])
        if row["kind"] == "count":  # "9 tunnels": what is counted goes to the note
            row["unit"], row["note"] = "items", q["unit"]
        elif row["unit"] == "kV":
            row["kind"] = "voltage"
        row["basis"] = basis(q, self.published)
        if q.get("range"):
            low, high = q["range"]
            row["note"] = f"The source gives a range, {low:,} to {high:,} ({q.get('text')}); the upper end is drafted."
        row["confidence"] = 0.7 if here or not project else 0.5
        return row

    def finance(self, amount: dict[str, Any]) -> dict[str, Any]:
        """The finance row of an amount: its project, who pays (a party whose cue fits the kind of
        money, nearest the amount) and who receives."""
        at = self._position(amount.get("text"))
        project, here = self._project(at)
        kind = amount["kind"]
        row: dict[str, Any] = {"project_id": project.ref} if project else {}
        row["kind"] = kind
        if kind != "total_cost":
            wanted = FINANCIER_BY_KIND.get(kind, relations.FINANCIER_ROLES)
            payer = self._party(at, wanted)
            if payer:
                row[f"financier_{PARTY_KEY[payer.kind]}"] = payer.ref
            payee = self._party(at, ("borrower",))
            if payee and payee != payer:
                row[f"recipient_{PARTY_KEY[payee.kind]}"] = payee.ref
        row |= {k: amount[k] for k in ("amount", "currency", "interest_rate_pct", "tenor_years", "grace_period_years")
                if k in amount}
        if amount.get("range"):
            low, high = amount["range"]
            row["note"] = f"The source gives a range, {low:,} to {high:,} ({amount.get('text')}); the upper end is drafted."
        row["confidence"] = 0.8 if here or not project else 0.6
        return row

    def _clause(self, at: int) -> int:
        return sum(1 for b in self.clauses if b <= at)

    def _party(self, at: int, wanted: tuple[str, ...]) -> Mention | None:
        """The party with the first of the wanted roles that any party has, in the amount's own
        clause if one is ("a loan of $150 million from X, while Y will contribute $62 million"),
        nearest the amount."""
        here = self._clause(at)
        for same in (True, False):
            for want in wanted:
                near = [m for m, role in self.roles if role == want and (not same or self._clause(m.start) == here)]
                if near:
                    return min(near, key=lambda m: (abs(m.start - at), m.start))
        return None

    def parties(self) -> list[tuple[str, dict[str, Any]]]:
        out = []
        for m, role in self.roles:
            project, here = self._project(m.start)
            if project is None or (m.kind == "organisations" and m.ref == project.ref):
                continue
            entry = {"project_id": project.ref, PARTY_KEY[m.kind]: m.ref, "role": role, "confidence": CONFIDENCE[here]}
            out.append((f"{project.ref}|{m.ref}|{role}", entry))
        return out

    def status_events(self, published: dt.date | None, dates: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
        """The stage the sentence reports, for each project it names (or the story's). A finished
        or started stage takes the sentence's only date as its own, if it is not in the future."""
        found = relations.status_at(self.sentence, self.language)
        if not found:
            return []
        stage, at = found
        # the project the stage is said of: its subject, the first named in the cue's clause
        # ("X, which links with the Middle Corridor, was 78% complete"), else the first named
        named = [m for m in self.mentions if m.kind == "projects"]
        same = [m for m in named if self._clause(m.start) == self._clause(at)]
        subject = (same or named or [None])[0]
        here = subject is not None
        projects = [subject.ref] if subject else [self.story.ref] if self.story else []
        event_date = None
        if stage in EVENT_STAGES and len(dates) == 1 and PARTIAL_DATE.match(str(dates[0]["date"])):
            day = str(dates[0]["date"])
            if published is None or day <= published.isoformat():
                event_date = day
        out = []
        for ref in projects:
            entry: dict[str, Any] = {"project_id": ref, "status": stage}
            if event_date:
                entry["event_date"] = event_date
            entry["confidence"] = round(CONFIDENCE[here] - 0.1, 2)
            out.append((f"{ref}|{stage}|{event_date}", entry))
        return out

    def agreement(self, published: dt.date | None, dates: list[dict[str, Any]]) -> dict[str, Any]:
        """An agreement in the form of `agreements`: named with the source's words from the
        document's word on ("a five-year agreement on swapping gas"), its type and status from
        the verbs, the sentence's only date if not in the future, every country and organisation
        in it as a party, every project it names."""
        found = relations.agreement(self.sentence, self.language)
        entry: dict[str, Any] = {}
        if found["name"]:
            entry["name"] = found["name"]
        entry |= {k: found[k] for k in ("agreement_type", "status") if found[k]}
        if found["status"] in ("signed", "in_force") and len(dates) == 1 and PARTIAL_DATE.match(str(dates[0]["date"])):
            day = str(dates[0]["date"])
            if published is None or day <= published.isoformat():
                entry["date"] = day
        parties = list(dict.fromkeys((m.kind, m.ref) for m in self.mentions if m.kind in PARTY_KEY))
        if parties:
            entry["parties"] = [{PARTY_KEY[kind]: ref, "role": "party", "quote": self.sentence} for kind, ref in parties]
        projects = list(dict.fromkeys(m.ref for m in self.mentions if m.kind == "projects"))
        if projects:
            entry["projects"] = [{"project_id": ref, "quote": self.sentence} for ref in projects]
        entry["confidence"] = 0.5
        return entry

    def constraint(self) -> dict[str, Any] | None:
        """A funding constraint (sanctions, export controls) in the form of `funding_constraints`,
        named with the source's own words from the imposer to the affected party."""
        found = relations.constraint(self.sentence, self.mentions, self.language)
        if not found:
            return None
        by, affected = found["by"], found["affected"]
        start = by.start if by and by.start < found["start"] else found["start"]
        end = max(found["end"], affected.end if affected else 0, by.end if by else 0)
        name = self.sentence[start:end] if end - start <= 90 else self.sentence[found["start"]:found["end"]]
        name = name[:1].upper() + name[1:]
        entry: dict[str, Any] = {"name": name, "constraint_type": "sanctions"}
        note = []
        if by and by.kind in ("countries", "blocs"):
            entry[f"imposed_by_{PARTY_KEY[by.kind]}"] = by.ref
        elif by:
            note.append(f"Imposed by the organisation {by.ref}.")
        if affected and affected.kind == "countries":
            entry["affected_country_id"] = affected.ref
        elif affected:
            note.append(f"Aimed at {affected.ref}.")
        entry["likelihood"] = found["likelihood"]
        if note:
            entry["note"] = " ".join(note)
        projects = list(dict.fromkeys(m.ref for m in self.mentions if m.kind == "projects"))
        if projects:
            entry["projects"] = [{"project_id": ref, "quote": self.sentence} for ref in projects]
        entry["confidence"] = 0.5
        return entry


__all__ = ["Linker", "PARTY_KEY"]
