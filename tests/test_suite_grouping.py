"""The suite's own scheduling: tests marked `xdist_group` share one worker under `make test`.

A module that builds data once (the demo walk, the exports, a browser module's pages) keeps its
tests on one worker, so the data is built once; when a pytest release renamed test ids out of
pytest-xdist's reach, the groups silently fell apart and `make test` ran the walk twice. This
notices that.
"""

from __future__ import annotations

import pytest


@pytest.mark.xdist_group("grouping")
def test_a_grouped_test_carries_its_group_in_its_id_when_the_suite_runs_in_groups(
    request: pytest.FixtureRequest,
) -> None:
    if not request.config.getvalue("loadgroup"):
        pytest.skip("not run with --dist loadgroup (make test runs with it)")
    assert request.node.nodeid.endswith("@grouping"), request.node.nodeid
