"""Vendors named in a text, so a fix for one vendor's product is not offered for another's.

An HP driver swap is no fix for a Canon copier, although both sessions are about a crashing
print spooler. The builtin provider uses this twice: a resolved session whose *fix* (resolution
and worked steps) names a vendor the new problem does not name, while the problem names one, is
ranked down (`similar.VENDOR_CONFLICT`); and a suggested step naming such a vendor is not
suggested. A problem that names no vendor conflicts with nothing.

The list is the hardware and network vendors an MSP meets in tickets (printers, docks, audio,
firewalls/VPN, Wi-Fi). Microsoft is deliberately absent (nearly every fix names it), and so are
component makers (Intel, Realtek): a Dell dock's fix updating its Realtek USB driver is a Dell fix.
"""

from __future__ import annotations

import re

# vendor → words that name it or one of its product lines (lower case, whole words).
VENDORS: dict[str, tuple[str, ...]] = {
    "hp": ("hp", "hewlett", "laserjet", "officejet", "deskjet"),
    "canon": ("canon", "imagerunner", "imageclass", "pixma"),
    "ricoh": ("ricoh",),
    "brother": ("brother",),
    "kyocera": ("kyocera", "taskalfa", "ecosys"),
    "xerox": ("xerox", "versalink", "altalink"),
    "lexmark": ("lexmark",),
    "epson": ("epson",),
    "konica": ("konica", "minolta", "bizhub"),
    "sharp": ("sharp",),
    "zebra": ("zebra",),
    "dymo": ("dymo", "labelwriter"),
    "dell": ("dell",),
    "lenovo": ("lenovo", "thinkpad", "thinkcentre"),
    "jabra": ("jabra",),
    "poly": ("poly", "plantronics", "polycom"),
    "logitech": ("logitech",),
    "fortinet": ("fortinet", "forticlient", "fortigate"),
    "sonicwall": ("sonicwall", "netextender"),
    "paloalto": ("globalprotect", "paloalto"),
    "cisco": ("cisco", "anyconnect", "meraki"),
    "ubiquiti": ("ubiquiti", "unifi"),
    "watchguard": ("watchguard",),
    "sophos": ("sophos",),
}
_WORD = re.compile(r"[a-z0-9]+")
_BY_WORD = {word: vendor for vendor, words in VENDORS.items() for word in words}


def named(text: str) -> set[str]:
    """The vendors `text` names."""
    return {_BY_WORD[w] for w in _WORD.findall((text or "").lower()) if w in _BY_WORD}


def conflicts(problem_vendors: set[str], text: str) -> bool:
    """Whether `text` is about another vendor than the problem: the problem names some vendor,
    and `text` names one the problem does not."""
    return bool(problem_vendors) and bool(named(text) - problem_vendors)
