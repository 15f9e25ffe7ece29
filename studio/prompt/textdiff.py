"""The stretch two versions of a text differ in, found at C speed.

A keystroke changes a few characters of a prompt of up to 8,192; comparing the versions
character by character in Python would cost more than the keystroke itself. Slices compare as
memcmp, so a binary search over them finds the common prefix and suffix in microseconds.
"""

from __future__ import annotations


def common_prefix(a: str, b: str) -> int:
    lo, hi = 0, min(len(a), len(b))
    if a[:hi] == b[:hi]:
        return hi
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def common_suffix(a: str, b: str, limit: int) -> int:
    """Length of the common suffix, at most `limit` (so it never overlaps a common prefix)."""
    la, lb = len(a), len(b)
    lo, hi = 0, min(la, lb, limit)
    if hi and a[la - hi:] == b[lb - hi:]:
        return hi
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[la - mid:] == b[lb - mid:]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def changed_stretch(old: str, new: str) -> tuple[int, str, str]:
    """(start, removed, inserted): `new` is `old` with old[start:start+len(removed)] replaced."""
    prefix = common_prefix(old, new)
    suffix = common_suffix(old, new, min(len(old), len(new)) - prefix)
    return prefix, old[prefix:len(old) - suffix], new[prefix:len(new) - suffix]


__all__ = ["changed_stretch", "common_prefix", "common_suffix"]
