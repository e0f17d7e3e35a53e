"""Turning another session's logged steps into suggestions for this one.

Steps are logged in the past tense, about a particular client ("On print server PS01: net stop
spooler, deleted everything in ..."). A suggestion is what to try next, here: an imperative
("On the print server: net stop spooler, delete everything in ..."), without the other client's
name, host names, addresses, people or emails (`deidentify`).

Both are deliberately plain rules over the words technicians use, not a language model: they run
offline in milliseconds, and what they cannot recognise they leave as written.
"""

from __future__ import annotations

import re

# Irregular and otherwise ambiguous past forms → base form.
_IRREGULAR = {
    "ran": "run", "reran": "rerun", "re-ran": "re-run", "set": "set", "reset": "reset", "made": "make",
    "found": "find", "got": "get", "took": "take", "put": "put", "rebuilt": "rebuild", "built": "build",
    "sent": "send", "gave": "give", "had": "have", "told": "tell", "went": "go", "began": "begin",
    "brought": "bring", "chose": "choose", "did": "do", "kept": "keep", "left": "leave", "let": "let",
    "read": "read", "saw": "see", "shut": "shut", "split": "split", "threw": "throw", "wrote": "write",
    "rewrote": "rewrite", "undid": "undo", "upgraded": "upgrade", "tried": "try", "applied": "apply",
    "copied": "copy", "emptied": "empty", "modified": "modify", "verified": "verify", "notified": "notify",
    "specified": "specify", "identified": "identify", "unplugged": "unplug", "plugged": "plug",
    "stopped": "stop", "dropped": "drop", "mapped": "map", "remapped": "remap", "swapped": "swap",
    "skipped": "skip", "tapped": "tap", "zipped": "zip", "shipped": "ship", "stripped": "strip",
    "propped": "prop", "wrapped": "wrap", "logged": "log", "tagged": "tag", "pinned": "pin",
    "scanned": "scan", "rescanned": "rescan", "planned": "plan", "permitted": "permit",
    "submitted": "submit", "committed": "commit", "omitted": "omit", "transmitted": "transmit",
    "re-entered": "re-enter", "entered": "enter", "rendered": "render", "ordered": "order",
    "lowered": "lower", "powered": "power", "answered": "answer", "registered": "register",
    "re-registered": "re-register", "filtered": "filter", "considered": "consider", "offered": "offer",
    "reordered": "reorder", "recovered": "recover", "discovered": "discover", "triggered": "trigger",
    "opened": "open", "reopened": "reopen", "happened": "happen", "listened": "listen",
    "shortened": "shorten", "hardened": "harden", "fastened": "fasten", "widened": "widen",
    "edited": "edit", "deleted": "delete", "completed": "complete", "resumed": "resume",
    "assumed": "assume", "consumed": "consume", "presumed": "presume",
    "audited": "audit", "visited": "visit", "exited": "exit", "limited": "limit",
    "credited": "credit", "inherited": "inherit", "deposited": "deposit",
    "installed": "install", "reinstalled": "reinstall", "uninstalled": "uninstall", "pulled": "pull",
    "polled": "poll", "rolled": "roll", "called": "call", "filled": "fill", "killed": "kill",
    "pressed": "press", "accessed": "access", "processed": "process", "passed": "pass",
    "bypassed": "bypass", "addressed": "address", "added": "add", "re-added": "re-add",
    "checked": "check", "rechecked": "recheck", "flushed": "flush", "pushed": "push", "refreshed": "refresh",
    "fixed": "fix", "mixed": "mix", "signed": "sign", "assigned": "assign", "reassigned": "reassign",
    "designed": "design", "aligned": "align", "joined": "join", "rejoined": "rejoin",
    "unjoined": "unjoin", "cleaned": "clean", "deployed": "deploy", "redeployed": "redeploy",
    "enrolled": "enroll", "re-enrolled": "re-enroll", "renewed": "renew", "reviewed": "review",
    "showed": "show", "followed": "follow", "allowed": "allow", "disallowed": "disallow",
    "turned": "turn", "returned": "return", "learned": "learn", "warned": "warn",
    "cleared": "clear", "repaired": "repair", "paired": "pair", "re-paired": "re-pair",
    "restarted": "restart", "started": "start", "rebooted": "reboot", "booted": "boot",
    "reseated": "reseat", "pointed": "point", "printed": "print", "tested": "test", "converted": "convert",
    "exported": "export", "imported": "import", "reported": "report", "supported": "support",
    "adjusted": "adjust", "requested": "request", "migrated": "migrate", "shifted": "shift",
    "selected": "select", "reselected": "reselect", "connected": "connect", "reconnected": "reconnect",
    "disconnected": "disconnect", "corrected": "correct", "collected": "collect",
    "redirected": "redirect", "inspected": "inspect", "attempted": "attempt", "excluded": "exclude",
    "included": "include", "provided": "provide", "decided": "decide", "loaded": "load",
    "reloaded": "reload", "downloaded": "download", "uploaded": "upload", "needed": "need",
    "forwarded": "forward", "rewarded": "reward", "recorded": "record", "extended": "extend",
    "suspended": "suspend", "appended": "append", "amended": "amend", "blocked": "block",
    "unblocked": "unblock", "locked": "lock", "unlocked": "unlock", "asked": "ask", "marked": "mark",
    "worked": "work", "linked": "link", "unlinked": "unlink", "walked": "walk", "picked": "pick",
    "clicked": "click", "double-clicked": "double-click", "tracked": "track", "packed": "pack",
    "looked": "look", "booked": "book", "hooked": "hook", "cooked": "cook", "waited": "wait",
    "created": "create", "recreated": "recreate", "updated": "update", "rotated": "rotate",
    "activated": "activate", "reactivated": "reactivate", "deactivated": "deactivate",
    "validated": "validate", "initiated": "initiate", "escalated": "escalate", "isolated": "isolate",
    "replaced": "replace", "forced": "force", "enforced": "enforce", "reduced": "reduce",
    "introduced": "introduce", "produced": "produce", "removed": "remove", "moved": "move",
    "saved": "save", "resolved": "resolve", "archived": "archive", "approved": "approve",
    "disabled": "disable", "enabled": "enable", "re-enabled": "re-enable", "cabled": "cable",
    "renamed": "rename", "named": "name", "configured": "configure", "reconfigured": "reconfigure",
    "ensured": "ensure", "secured": "secure", "measured": "measure", "captured": "capture",
    "required": "require", "acquired": "acquire", "hired": "hire", "wired": "wire", "rewired": "rewire",
    "closed": "close", "used": "use", "reused": "reuse", "paused": "pause", "caused": "cause",
    "raised": "raise", "revised": "revise", "advised": "advise", "supervised": "supervise",
    "initialised": "initialise", "initialized": "initialize", "synchronised": "synchronise",
    "synchronized": "synchronize", "authorised": "authorise", "authorized": "authorize",
    "prioritised": "prioritise", "prioritized": "prioritize", "optimised": "optimise",
    "optimized": "optimize", "resynced": "resync", "synced": "sync", "ticked": "tick",
    "unticked": "untick", "typed": "type", "retyped": "retype", "wiped": "wipe", "piped": "pipe",
    "revoked": "revoke", "invoked": "invoke", "changed": "change", "exchanged": "exchange",
    "arranged": "arrange", "managed": "manage", "merged": "merge", "purged": "purge", "charged": "charge",
    "staged": "stage", "imaged": "image", "re-imaged": "re-image", "reimaged": "reimage",
    "issued": "issue", "continued": "continue", "queued": "queue", "rescued": "rescue",
    "argued": "argue", "cloned": "clone", "phoned": "phone", "zoned": "zone", "tuned": "tune",
    "pruned": "prune", "scoped": "scope", "shaped": "shape", "escaped": "escape", "taped": "tape",
    "noted": "note", "promoted": "promote", "demoted": "demote", "quoted": "quote", "voted": "vote",
    "compared": "compare", "prepared": "prepare", "declared": "declare", "shared": "share",
    "restored": "restore", "stored": "store", "ignored": "ignore", "explored": "explore",
    "mirrored": "mirror", "scheduled": "schedule", "rescheduled": "reschedule", "handled": "handle",
    "bundled": "bundle", "toggled": "toggle", "compiled": "compile", "profiled": "profile",
    "filed": "file", "piled": "pile", "emailed": "email", "mailed": "mail", "trailed": "trail",
    "failed": "fail", "detailed": "detail", "confirmed": "confirm",
    "informed": "inform", "performed": "perform", "transformed": "transform", "formatted": "format",
    "reformatted": "reformat", "patched": "patch", "matched": "match", "switched": "switch",
    "watched": "watch", "fetched": "fetch", "attached": "attach", "detached": "detach",
    "searched": "search", "reached": "reach", "launched": "launch", "published": "publish",
    "finished": "finish", "established": "establish", "re-established": "re-establish",
    "lengthened": "lengthen", "strengthened": "strengthen", "loosened": "loosen",
    "tightened": "tighten", "increased": "increase", "decreased": "decrease", "released": "release",
    "leased": "lease", "licensed": "license", "relicensed": "relicense", "sensed": "sense",
    "disposed": "dispose", "exposed": "expose", "composed": "compose", "proposed": "propose",
    "upped": "up", "cycled": "cycle", "power-cycled": "power-cycle", "recycled": "recycle",
    "graded": "grade", "downgraded": "downgrade", "traded": "trade",
    "decommissioned": "decommission", "provisioned": "provision", "reprovisioned": "reprovision",
    "partitioned": "partition", "positioned": "position", "repositioned": "reposition",
    "mentioned": "mention", "questioned": "question", "trained": "train", "explained": "explain",
    "obtained": "obtain", "retained": "retain", "contained": "contain", "drained": "drain",
    "re-channelled": "re-channel", "re-channeled": "re-channel", "channelled": "channel",
    "cancelled": "cancel", "canceled": "cancel", "labelled": "label", "labeled": "label",
    "travelled": "travel", "modelled": "model", "tunnelled": "tunnel",
}
# Words that start a clause of a logged step: "X, then Y", "X; Y", "X and Y" (only before a past
# verb, so "cleared the cache and temp files" keeps its object).
_CLAUSE = re.compile(r"(^|[,;:(]\s*(?:then\s+)?|\b(?:then|and|so)\s+)([A-Za-z][A-Za-z-]*)")


def _base(word: str, *, first: bool = False) -> str | None:
    """The base form of a past-tense verb, or None when `word` is not one we know. The first word
    of a step is a verb ("Excluded Teams cache..."): there an unknown "-ed" word is stripped by
    rule (excluded → exclude, flashed → flash)."""
    lower = word.lower()
    if lower in _IRREGULAR:
        base = _IRREGULAR[lower]
    elif lower.startswith("re") and lower[2:] in _IRREGULAR and lower[2:] not in ("set", "ad"):
        base = "re" + _IRREGULAR[lower[2:]]
    elif first and lower.endswith("ed") and len(lower) > 4:
        base = lower[:-2]
        if base.endswith("i"):
            base = base[:-1] + "y"
        elif len(base) > 2 and base[-1] == base[-2] and base[-1] not in "lsfz":
            base = base[:-1]
        elif re.search(r"(at|it|ut|iz|is|us|v|c|g|bl|pl|dl|gl|ur|ir|or|in|on|m)$", base) and \
                not re.search(r"(ain|ion|ern|orm)$", base):
            base += "e"
    else:
        return None
    return base[:1].upper() + base[1:] if word[:1].isupper() else base


def imperative(step: str) -> str:
    """"Restarted the Print Spooler service" → "Restart the Print Spooler service"; each clause's
    leading past-tense verb becomes its base form ("stopped X, cleared Y and restarted Z" → "stop X,
    clear Y and restart Z"). A step already written as an instruction is left as it is."""
    def clause(m: re.Match) -> str:
        base = _base(m.group(2), first=m.start() == 0)
        # Inside a sentence only a verb we know starts a new clause ("and") — never a noun.
        if base is None:
            return m.group(0)
        return m.group(1) + base

    out = _CLAUSE.sub(clause, step.strip())
    # "onedrive.exe /reset ..." starts with a command, not a word: left as typed.
    first = out.split(" ", 1)[0]
    return out if any(c in first for c in "./\\%") else out[:1].upper() + out[1:]


# --- De-identification ---------------------------------------------------------------------------

# Host-name role prefixes: PS01 (print server), DC-02, TS02, LUM-FS01, CRL-LT-088, SRV1...
_ROLES = {
    "dc": "the domain controller", "pdc": "the domain controller", "ps": "the print server",
    "prn": "the print server", "fs": "the file server", "file": "the file server", "ts": "the terminal server",
    "rds": "the terminal server", "ex": "the mail server", "exch": "the mail server", "mail": "the mail server",
    "sql": "the database server", "db": "the database server", "app": "the application server",
    "web": "the web server", "nas": "the NAS", "hv": "the host", "vm": "the server", "srv": "the server",
    "svr": "the server", "server": "the server", "lt": "the laptop", "nb": "the laptop", "pc": "the PC",
    "ws": "the PC", "dt": "the PC", "fw": "the firewall", "sw": "the switch", "ap": "the access point",
    "recep": "the PC", "host": "the host",
}
_HOST = re.compile(r"\b(?:[A-Za-z]{2,8}-)*(?P<role>[A-Za-z]{2,6})-?\d{1,3}\b")
_UNC = re.compile(r"\\\\[A-Za-z0-9_.$-]+(?P<share>(?:\\[^\s\\,;:'\")]+)*)")
_IP = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?P<cidr>/\d{1,2})?\b")
_PUBLIC_RESOLVERS = {"8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9"}
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_MAILBOX = re.compile(r"\b[\w.+-]+@(?=\s|$)")
# "On print server PS01:" — a role noun before the host name says it already.
_ROLE_NOUN = re.compile(
    r"\b(?P<noun>(?:print |file |terminal |mail |web |database )?server|domain controller|DC|PC|laptop|"
    r"workstation|host|NAS|firewall|switch|access point)\s+(?P<host>(?:[A-Za-z]{2,8}-)*[A-Za-z]{2,6}-?\d{1,3})\b",
    re.IGNORECASE,
)
# "from Sarah's PC": an end user of that client, named by first name before their device.
_OWNED = re.compile(r"\b[A-Z][a-z]+'s\s+(?=(?:old\s+|new\s+)?(?:PC|laptop|computer|phone|iPhone|iPad|desk|"
                    r"workstation|mailbox|account|profile)\b)")
_HYPHENATED = re.compile(r"\b[A-Z0-9]{2,}(?:-[A-Z0-9]{2,})+\b")
_STOP_NAME_WORDS = {"the", "and", "of", "llp", "llc", "inc", "ltd", "co", "group", "family", "practice",
                    "dental", "clinic", "services", "partners", "accounting", "architects", "freight",
                    "veterinary", "brewing", "company", "associates"}


def _name_words(client: str) -> list[str]:
    """The distinctive words of a client's name ("Harbor & Finch LLP" → Harbor, Finch)."""
    return [w for w in re.findall(r"[A-Za-z][A-Za-z'-]{2,}", client or "") if w.lower() not in _STOP_NAME_WORDS]


def _initials(client: str) -> str:
    return "".join(w[0] for w in re.findall(r"[A-Za-z]+", client or "") if w.lower() not in {"and", "of", "the"})


def deidentify(text: str, *, client: str = "", people: tuple[str, ...] = ()) -> str:
    """`text` without the other session's client: its name ("Harbor & Finch", "Harbor"), host
    names (PS01, DC-02, LUM-FS01, \\\\redline-srv), network names that start with the client's
    name or initials (OAK-CORP, PFP-RECEP-01), private IP addresses, emails and the `people`
    given (names of the people on that session). What remains is what to try."""
    out = text
    out = _EMAIL.sub("the user's address", out)
    out = _MAILBOX.sub("the ", out)
    out = _OWNED.sub("the user's ", out)
    out = _UNC.sub(lambda m: "the file share" + (" (" + m.group("share").lstrip("\\") + ")" if m.group("share")
                                                  else ""), out)
    for person in people:
        if person and len(person) > 2:
            out = re.sub(rf"\b{re.escape(person)}\b", "the user", out, flags=re.IGNORECASE)
    if client.strip():
        out = re.sub(re.escape(client.strip()), "the client", out, flags=re.IGNORECASE)
        words = _name_words(client)
        initials = _initials(client)
        prefixes = {w.lower()[:3] for w in words} | ({initials.lower()} if len(initials) >= 2 else set())

        def network_name(m: re.Match) -> str:
            first = m.group(0).split("-")[0].lower()
            return "the client's" if any(first.startswith(p) or p == first for p in prefixes) else m.group(0)

        out = _HYPHENATED.sub(network_name, out)
        for word in words:
            out = re.sub(rf"\b{re.escape(word)}(?:'s)?\b", "the client", out)

    def ip(m: re.Match) -> str:
        if m.group(0) in _PUBLIC_RESOLVERS:
            return m.group(0)
        return "a different subnet" if m.group("cidr") else "the device's IP address"

    out = _IP.sub(ip, out)
    out = _ROLE_NOUN.sub(lambda m: m.group("noun") if _is_host(m.group("host")) else m.group(0), out)
    out = _HOST.sub(lambda m: _ROLES[m.group("role").lower()] if _is_host(m.group(0)) else m.group(0), out)
    # "the the print server", "On the client's the PC" → tidy the seams the replacements leave.
    out = re.sub(r"\b(the|a)\s+(the|a)\b", r"\2", out, flags=re.IGNORECASE)
    out = re.sub(r"\bthe client's\s+(the|a)\b", r"\1", out)
    out = re.sub(r"\b(on|to|from|at|for)\s+(print |file |terminal |mail |database )?server\b",
                 lambda m: f"{m.group(1)} the {m.group(2) or ''}server", out, flags=re.IGNORECASE)
    out = re.sub(r"\bthe\s+the\b", "the", out, flags=re.IGNORECASE)
    return " ".join(out.split())


def _is_host(token: str) -> bool:
    m = _HOST.fullmatch(token)
    return bool(m) and m.group("role").lower() in _ROLES and any(c.isdigit() for c in token)
