"""Helpers shared by the benchmark scripts' command lines."""


def parse_value(text):
    """``"3"`` → 3, ``"0.5"`` → 0.5, anything else stays a string."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text
