"""rowdiff, which the database update and the downloads both take the changed rows from, against
the plain answer of Python's sets."""
import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st
from support import SETTINGS

from infratracker.publish import rowdiff

VERSIONS = st.dictionaries(st.text(alphabet="abé,", min_size=1, max_size=3), st.sampled_from(["1", "2", "3"]),
                           max_size=8)


def _version(rows: dict[str, str]) -> tuple[rowdiff.Lines, list[str]]:
    """A CSV of (key, value) rows in key order, with its row positions, as the build saves them."""
    keys = sorted(rows)
    data, starts = b"key,value\n", []
    for k in keys:
        starts.append(len(data))
        data += f'"{k}",{rows[k]}\n'.encode("utf-8")
    return rowdiff.lines(data, (pa.array(keys, pa.string()), np.array(starts, np.int64))), keys


@SETTINGS
@given(VERSIONS, VERSIONS)
def test_the_diff_is_what_sets_of_keys_and_rows_say(old, new):
    (old_lines, old_keys), (new_lines, new_keys) = _version(old), _version(new)
    found = rowdiff.diff(old_lines, new_lines, "t")
    assert [new_keys[i] for i in found.inserted.to_pylist()] == sorted(new.keys() - old.keys())
    assert [old_keys[i] for i in found.deleted.to_pylist()] == sorted(old.keys() - new.keys())
    changed = sorted(k for k in old.keys() & new.keys() if old[k] != new[k])
    assert [new_keys[i] for i in found.updated_new.to_pylist()] == changed
    assert [old_keys[i] for i in found.updated_old.to_pylist()] == changed  # paired in order
