"""`qa pull`: transcripts from helpdesks (Zendesk, Freshdesk, Gorgias), SQL databases and folders, incrementally.

`pull_sources` is the entry point (CONTRACT.md section 6); connectors register by kind (`base.register_connector`).
"""

from qa_engine.pull.run import PullSummary, SourceResult, pull_sources

__all__ = ["PullSummary", "SourceResult", "pull_sources"]
