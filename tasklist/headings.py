"""Whether a part or section heading is printed, and what it prints: one rule for pages and exports.

A plan printed without parts (or without sections) is stored with one part (or section) of number 1
and no title, so that every task still has its place. That part or section is no heading of the
document: the plan page, the workspace, the import preview and the exports print nothing for it,
never a bare "一、" or "（一）". Pure functions of the printed label and the title, so that model
instances, the exporters' outline and the import preview's drafts all ask the same question.
"""

from __future__ import annotations


def is_printed(title: str) -> bool:
    """A part or section has a heading exactly when it has a title."""
    return bool(title.strip())


def heading(label: str, title: str) -> str:
    """The heading as printed ("一、稳定和扩大就业"), or "" for an untitled part or section."""
    return f"{label}{title}" if is_printed(title) else ""


def printed_label(label: str, title: str) -> str:
    """The number as printed ("一、", "（一）"), or "" for an untitled part or section."""
    return label if is_printed(title) else ""


def section_path(part_label: str, part_title: str, section_label: str, section_title: str) -> str:
    """Where a task sits, in one line: "一、（一）促进高校毕业生就业" as the plan numbers it.

    Only printed headings appear: a section of an untitled part is "（一）…"; the untitled
    section of a part is named by the part ("一、稳定和扩大就业"); a flat plan gives "".
    """
    if not is_printed(section_title):
        return heading(part_label, part_title)
    return f"{printed_label(part_label, part_title)}{section_label}{section_title}"


def task_reference(part_label: str, part_title: str, section_label: str, section_title: str, number: int | None) -> str:
    """A task named where numbers restart: "（三）第2项" (section and number as printed).

    The nearest printed heading qualifies the number: the section's, or the part's for an untitled
    section ("一、第2项"); a flat plan gives "第2项"; an unnumbered task only its heading's label.
    """
    where = printed_label(section_label, section_title) or printed_label(part_label, part_title)
    return f"{where}第{number}项" if number is not None else where
