"""The pre-aggregated tables behind the dashboards, kept up to date from the event stream.

:func:`analytics_refresh` is the one write: incremental (the dossiers that events since
the last run touched) or full. See ``docs/adr/0019-analytics-aggregates.md``.
"""

from __future__ import annotations

from midoffice.analytics.aggregates.refresh import RefreshResult, analytics_refresh

__all__ = ["RefreshResult", "analytics_refresh"]
