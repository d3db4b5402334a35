"""The read API (docs/api.md): plans, tasks, assignments, progress reports and dashboard figures as
JSON, scoped exactly like the pages by the models' own ``visible_to`` methods, read-only."""
