"""Audit the pinned dependencies (requirements.lock) with pip-audit, honestly.

pip-audit prints "No known vulnerabilities found" even when it could audit nothing (no route to
the vulnerability service): this script counts what was really audited, fails on any known
vulnerability, and says plainly when the service could not be reached.

    .venv-audit/bin/python scripts/audit.py      # what `make audit` runs
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    proc = subprocess.run([sys.executable, "-m", "pip_audit", "-r", str(ROOT / "requirements.lock"), "--no-deps",
                           "--disable-pip", "--progress-spinner", "off", "-f", "json"],
                          capture_output=True, text=True)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit failed (exit {proc.returncode}): {proc.stderr.strip()[-500:]}", file=sys.stderr)
        return 2
    deps = report.get("dependencies", [])
    audited = [d for d in deps if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    for d in vulnerable:
        ids = ", ".join(v["id"] + (f" (fixed in {', '.join(v.get('fix_versions', []))})" if v.get("fix_versions") else "")
                        for v in d["vulns"])
        print(f"VULNERABLE {d['name']}=={d['version']}: {ids}")
    print(f"pip-audit: {len(audited)} of {len(deps)} pinned packages audited, {len(vulnerable)} with known vulnerabilities")
    if deps and not audited:
        print("WARNING: the vulnerability service could not be reached from this machine; nothing was audited. "
              "Run `make audit` where PyPI's JSON API is reachable.")
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
