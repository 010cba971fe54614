"""The app's routers: `api` (JSON under /api) and `pages` (HTML for people)."""
