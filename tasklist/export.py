"""A plan as data, in the document's order: the JSON contract (docs/json-export.md)."""

from __future__ import annotations

from django.db.models import Prefetch

from tasklist.headings import printed_label
from tasklist.models import Assignment, Part, Plan, Section, Task


def plan_tree(plan: Plan) -> list[Part]:
    """Parts → sections → tasks → assignments in four queries, whatever the plan's size."""
    return list(
        Part.objects.filter(plan=plan)
        .order_by("number")
        .prefetch_related(
            Prefetch("sections", queryset=Section.objects.order_by("number")),
            Prefetch("sections__tasks", queryset=Task.objects.order_by("order")),
            Prefetch(
                "sections__tasks__assignments",
                queryset=Assignment.objects.select_related("agency").order_by("order"),
            ),
        )
    )


def plan_as_dict(plan: Plan) -> dict:
    return {
        "plan": {
            "title": plan.title,
            "doc_number": plan.doc_number,
            "issuer": plan.issuer or None,
            "issued_on": plan.issued_on.isoformat() if plan.issued_on else None,
            "jurisdiction": plan.jurisdiction,
            "assignment_note": plan.assignment_note or None,
        },
        "parts": [
            {
                "number": part.number,
                "label": printed_label(part.number_label, part.title),
                "title": part.title,
                "sections": [
                    {
                        "number": section.number,
                        "label": printed_label(section.number_label, section.title),
                        "title": section.title,
                        "tasks": [
                            {
                                "number": task.number,
                                "content": task.content,
                                "status": task.status,
                                "assignments": [
                                    {
                                        "agency": assignment.display_name,
                                        "agency_name": assignment.agency.name,
                                        "role": assignment.role,
                                    }
                                    for assignment in task.assignments.all()
                                ],
                            }
                            for task in section.tasks.all()
                        ],
                    }
                    for section in part.sections.all()
                ],
            }
            for part in plan_tree(plan)
        ],
    }
