"""Text that came from a user (files, forms) must be valid Unicode before it is stored, shown or encoded.

JSON's ``"\\ud800"`` and Python's str both allow a lone surrogate, which no UTF-8 encoder accepts: such text
breaks the page, the database or the file that later tries to encode it, far from where it came in.
"""

from __future__ import annotations

import math


class TextError(ValueError):
    """Text that is not valid Unicode; the message names the field."""


def check_text(value: str, field: str) -> str:
    """value unchanged when it is valid Unicode text; otherwise a TextError that names field."""
    if not isinstance(value, str):
        raise TextError(f"{field} must be text, got {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise TextError(
            f"{field} holds a character that is not valid Unicode (a lone surrogate, U+{ord(value[e.start]):04X}, "
            f"at character {e.start + 1}); replace it with real text"
        ) from None
    return value


def is_number(text: str) -> bool:
    """True when text reads as a finite number ("2.5", "-1e12"); a CSV cell, a typed divisor, a link's value."""
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False
