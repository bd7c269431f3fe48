"""Reports: template contexts from job results and HTML/PDF rendering; no business logic.

- `context.daily_context / pnl_context / monthly_context(store, job_result) -> dict`
- `render.write_report(template, context, out, html=False) -> Path` (atomic)
- `svg`: the vector charts
"""
