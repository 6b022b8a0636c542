"""briefing: a static site generator for a curated daily news briefing."""

__version__ = "0.1.0"
