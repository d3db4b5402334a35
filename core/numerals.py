"""Chinese numerals as plans print them: 一 … 九十九."""

from __future__ import annotations

_DIGITS = "零一二三四五六七八九"
_VALUE = {ch: i for i, ch in enumerate(_DIGITS)} | {"〇": 0, "两": 2}


def parse_chinese(text: str) -> int:
    """一 → 1, 十 → 10, 十四 → 14, 二十 → 20, 九十九 → 99.

    Raises ValueError for anything else, so a caller can report the cell.
    """
    if not text:
        raise ValueError("empty numeral")
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens_text, _, units_text = text.partition("十")
        tens = _VALUE[tens_text] if tens_text else 1
        units = _VALUE[units_text] if units_text else 0
        if len(tens_text) > 1 or len(units_text) > 1:
            raise ValueError(text)
        return tens * 10 + units
    if len(text) == 1 and text in _VALUE:
        return _VALUE[text]
    raise ValueError(text)


def part_label(number: int) -> str:
    """一、 as a part's number is printed."""
    return f"{to_chinese(number)}、"


def section_label(number: int) -> str:
    """（一） as a section's number is printed."""
    return f"（{to_chinese(number)}）"


def to_chinese(number: int) -> str:
    if not 1 <= number <= 99:
        return str(number)
    tens, units = divmod(number, 10)
    if tens == 0:
        return _DIGITS[units]
    head = "" if tens == 1 else _DIGITS[tens]
    return f"{head}十{_DIGITS[units] if units else ''}"
