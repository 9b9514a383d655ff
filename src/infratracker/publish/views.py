"""SQL views of the database and the text behind its search index.

Views answer the common questions in one click; they are SQL because SQLite runs them.
"""
from __future__ import annotations

from infratracker.core import registry


def _ordered_list(select: str, order: str, sep: str = "; ") -> str:
    return f"(select group_concat(item, '{sep}') from ({select} order by {order}))"


VIEWS: dict[str, tuple[str, str, str]] = {
    "project_overview": (
        "Projects at a glance",
        "Each project with its countries and roles, and how many agreements, funding constraints "
        "and citations concern it.",
        f"""select p.project_id, p.name, p.project_type, p.sector, p.status,
  {_ordered_list("select c.name || ' (' || pc.role || ')' as item, c.name, pc.role from parties pc "
                 "join countries c on c.country_id = pc.country_id where pc.project_id = p.project_id",
                 "c.name, pc.role")} as countries,
  {_ordered_list("select o.name || ' (' || pc.role || ')' as item, o.name, pc.role from parties pc "
                 "join organisations o on o.organisation_id = pc.organisation_id where pc.project_id = p.project_id",
                 "o.name, pc.role")} as organisations,
  p.length_km, p.cost_amount, p.cost_currency, p.cost_year, p.cost_amount_usd,
  (select count(*) from agreement_projects ap where ap.project_id = p.project_id) as agreements,
  (select count(*) from constraint_projects cp where cp.project_id = p.project_id) as funding_constraints,
  (select count(*) from citations ci where ci.record_table = 'projects' and ci.record_id = p.project_id) as citations,
  p.description
from projects p""",
    ),
    "project_country_roles": (
        "Projects by country and role",
        "One row per project, country and role, with names: facet by country or role.",
        """select pc.project_id, p.name as project, p.sector, p.status, pc.country_id, c.name as country,
  c.subregion, pc.role
from parties pc
join projects p on p.project_id = pc.project_id
join countries c on c.country_id = pc.country_id""",
    ),
    "projects_facing_constraints": (
        "Projects facing funding constraints",
        "Each project with each constraint that limits it: type, who imposes it, its effect.",
        """select cp.project_id, p.name as project, fc.constraint_id, fc.name as constraint_name,
  fc.constraint_type, coalesce(ci.name, b.name) as imposed_by, fc.likelihood, fc.effect
from constraint_projects cp
join projects p on p.project_id = cp.project_id
join funding_constraints fc on fc.constraint_id = cp.constraint_id
left join countries ci on ci.country_id = fc.imposed_by_country_id
left join blocs b on b.bloc_id = fc.imposed_by_bloc_id""",
    ),
    "agreement_overview": (
        "Agreements with parties and projects",
        "Each agreement with its parties (role and who acted for them) and the projects it concerns.",
        f"""select a.agreement_id, a.name, a.agreement_type, a.status, a.date, pl.name as place,
  {_ordered_list("select coalesce(o.name, c.name, b.name, pe.name) || ' (' || ap.role "
                 "|| coalesce(', ' || case when coalesce(o.name, c.name, b.name) is not null then pe.name end, '') "
                 "|| ')' as item, ap.role, ap.party_id from parties ap "
                 "left join countries c on c.country_id = ap.country_id left join blocs b on b.bloc_id = ap.bloc_id "
                 "left join organisations o on o.organisation_id = ap.organisation_id "
                 "left join people pe on pe.person_id = ap.person_id "
                 "where ap.agreement_id = a.agreement_id", "ap.role, ap.party_id")} as parties,
  {_ordered_list("select p.name as item, p.project_id from agreement_projects ag join projects p "
                 "on p.project_id = ag.project_id where ag.agreement_id = a.agreement_id", "p.project_id")} as projects,
  a.description
from agreements a left join places pl on pl.place_id = a.place_id""",
    ),
    "involvement": (
        "Who is involved, and how",
        "Every party of every project and agreement: countries, blocs, organisations and people, "
        "with the role (and the OC4IDS party role it is exported as) and who acted for them.",
        """select case when pa.project_id is not null then 'project' else 'agreement' end as record_kind,
  coalesce(pa.project_id, pa.agreement_id) as record_id, coalesce(p.name, a.name) as record_name,
  case when pa.organisation_id is not null then 'organisation' when pa.bloc_id is not null then 'bloc'
       when pa.country_id is not null then 'country' else 'person' end as party_kind,
  pa.party_id, coalesce(o.name, b.name, c.name, pe.name) as party_name, o.organisation_type,
  pa.role, cl.label as role_label, cl.oc4ids_code as oc4ids_role,
  case when coalesce(o.name, b.name, c.name) is not null then pe.name end as acting_person, pa.position
from parties pa
left join projects p on p.project_id = pa.project_id
left join agreements a on a.agreement_id = pa.agreement_id
left join organisations o on o.organisation_id = pa.organisation_id
left join blocs b on b.bloc_id = pa.bloc_id
left join countries c on c.country_id = pa.country_id
left join people pe on pe.person_id = pa.person_id
left join codelists cl on cl.codelist = 'party_role' and cl.code = pa.role""",
    ),
    "finance_overview": (
        "Money by kind, with terms",
        "Every finance row with the project, who gives and who receives, the amount as stated and "
        "in US dollars (with the rate's basis), and the terms.",
        """select f.finance_id, f.project_id, p.name as project, f.kind, f.status,
  coalesce(fo.name, fc.name) as financier, coalesce(ro.name, rc.name) as recipient,
  f.amount, f.currency, f.amount_year, f.amount_usd, f.usd_rate_date, f.usd_basis, f.usd_note,
  f.interest_rate_pct, f.tenor_years, f.grace_period_years, f.date, f.agreement_id, f.amount_source_id
from finance f
join projects p on p.project_id = f.project_id
left join organisations fo on fo.organisation_id = f.financier_organisation_id
left join countries fc on fc.country_id = f.financier_country_id
left join organisations ro on ro.organisation_id = f.recipient_organisation_id
left join countries rc on rc.country_id = f.recipient_country_id""",
    ),
    "disagreements": (
        "Where sources disagree",
        "One row per disagreement: the record, the claim, the published value and its source, and "
        "every other value with its source.",
        """select cf.record_table, cf.record_id, si.name as record_name, cf.field as claim,
  max(case when cf.published then cf.value end) as published_value,
  max(case when cf.published then cf.source_id end) as published_source_id,
  max(case when cf.published then cf.reason end) as why,
  group_concat(case when not cf.published then cf.value || ' (' || cf.source_id || ')' end, '; ') as other_values
from conflicts cf
left join search_index si on si.record_table = cf.record_table and si.record_id = cf.record_id
group by cf.record_table, cf.record_id, cf.field""",
    ),
    "evidence": (
        "Evidence behind every record",
        "Every citation with the record's name and the source's publisher, date and title.",
        """select ci.record_table, ci.record_id, si.name as record_name, ci.field, ci.value, ci.quote,
  ci.source_id, s.publisher, s.published_date, s.title as source_title, ci.note, ci.citation_id
from citations ci
join sources s on s.source_id = ci.source_id
left join search_index si on si.record_table = ci.record_table and si.record_id = ci.record_id""",
    ),
    "place_map": (
        "Places on a map",
        "Places with coordinates, and the projects and agreements linked to them.",
        f"""select pl.place_id, pl.name, pl.place_type, c.name as country, pl.latitude, pl.longitude,
  {_ordered_list("select p.name as item, p.project_id from project_places pp join projects p on "
                 "p.project_id = pp.project_id where pp.place_id = pl.place_id", "p.project_id")} as projects,
  {_ordered_list("select a.name as item, a.agreement_id from agreements a where a.place_id = pl.place_id",
                 "a.agreement_id")} as agreements
from places pl left join countries c on c.country_id = pl.country_id
where pl.latitude is not null""",
    ),
}


def search_select(res: registry.Resource, where: str = "") -> str:
    """The search_index rows of one table's records; `where` (on `t`) narrows them to some, for
    the incremental update of the database."""
    key = res.primary_key[0]
    parts = [f"t.{res.label_column}"]
    if "description" in res.field_names:
        parts.append("t.description")
    for table, column in (("aliases", "alias"), ("citations", "quote")):
        # in key order, which is the CSV's: otherwise SQLite concatenates in rowid order, and a
        # row the incremental update adds has the next rowid, not the one of its sorted place.
        # The unary + keeps the planner from walking the (record_table, <key>) index for the
        # order, which before ANALYZE it prefers: every record then scanned all of its table's
        # citations (a 36 s load ran past 15 minutes at 10,000 articles)
        pk = registry.resource(table).primary_key[0]
        parts.append(_ordered_list(f"select {column} as item, x.{pk} from {table} x "
                                   f"where x.record_table = '{res.name}' and x.record_id = t.{key}", f"+x.{pk}", " "))
    text = " || ' ' || ".join(f"coalesce({p}, '')" for p in parts)
    return (f"select '{res.name}', t.{key}, t.{res.label_column}, {text} from {res.name} t"
            + (f" where {where}" if where else ""))


# The tables with a row in search_index per record.
SEARCHED = [r for r in registry.RESOURCES if r.citable and r.label_column and len(r.primary_key) == 1]

# One row per nameable record; the search page and the `evidence` view use it.
SEARCH_SOURCES = "\nunion all\n".join(search_select(r) for r in SEARCHED)
