"""Task tables out: the plan in its own layout as .xlsx and .docx (JSON lives in tasklist/export.py)."""

from tasklist.exporters.docx import export_plan_docx
from tasklist.exporters.xlsx import export_plan_xlsx

__all__ = ["export_plan_docx", "export_plan_xlsx"]
