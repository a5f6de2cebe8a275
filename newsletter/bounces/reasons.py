"""Why a message came back, as data: status codes and diagnostic phrases → reason names.

The names are sisimai's vocabulary (DESIGN.md "Bounces and complaints"). The tables are
read top to bottom; a new MTA's wording is one more line here, never one more `if`.
"""

from __future__ import annotations

import re

REASONS = (
    "userunknown", "hostunknown", "hasmoved", "notaccept", "mailboxfull", "suspend", "expired",
    "filtered", "rejected", "blocked", "spamdetected", "virusdetected", "policyviolation",
    "securityerror", "authfailure", "requireptr", "badreputation", "norelaying", "ratelimited",
    "exceedlimit", "emailtoolarge", "contenterror", "syntaxerror", "systemerror", "systemfull",
    "networkerror", "mailererror", "notcompliantrfc", "onhold", "failedstarttls", "undefined",
    "feedback", "vacation", "delivered",
)

# The address will never work: stop mailing it at once. notaccept counts only with a 5xx.
HARD_REASONS = frozenset({"userunknown", "hostunknown", "hasmoved"})


def is_hard(reason: str, status: str) -> bool:
    return reason in HARD_REASONS or (reason == "notaccept" and status.startswith("5"))


# RFC 3463 enhanced status codes (subject.detail) → reason. Used when the text says nothing
# more precise; reasons in GENERIC_STATUS_REASONS always yield to a phrase in the text.
STATUS_REASONS: dict[str, str] = {
    "1.0": "userunknown", "1.1": "userunknown", "1.2": "hostunknown", "1.3": "userunknown",
    "1.4": "userunknown", "1.5": "userunknown", "1.6": "hasmoved", "1.7": "rejected",
    "1.8": "rejected", "1.9": "systemerror", "1.10": "notaccept",
    "2.0": "filtered", "2.1": "filtered", "2.2": "mailboxfull", "2.3": "exceedlimit",
    "2.4": "systemerror",
    "3.0": "systemerror", "3.1": "systemfull", "3.2": "notaccept", "3.3": "systemerror",
    "3.4": "emailtoolarge", "3.5": "systemerror",
    "4.0": "networkerror", "4.1": "networkerror", "4.2": "networkerror", "4.3": "systemerror",
    "4.4": "hostunknown", "4.5": "networkerror", "4.6": "networkerror", "4.7": "expired",
    "5.0": "syntaxerror", "5.1": "syntaxerror", "5.2": "syntaxerror", "5.3": "exceedlimit",
    "5.4": "syntaxerror", "5.5": "syntaxerror", "5.6": "syntaxerror",
    "6.0": "contenterror", "6.1": "contenterror", "6.2": "contenterror", "6.3": "contenterror",
    "6.4": "contenterror", "6.5": "contenterror", "6.6": "contenterror", "6.7": "contenterror",
    "6.8": "contenterror", "6.9": "contenterror", "6.10": "contenterror",
    "7.0": "securityerror", "7.1": "securityerror", "7.2": "securityerror",
    "7.3": "securityerror", "7.4": "securityerror", "7.5": "securityerror",
    "7.6": "securityerror", "7.7": "securityerror", "7.8": "authfailure",
    "7.9": "securityerror", "7.10": "failedstarttls", "7.11": "failedstarttls",
    "7.13": "suspend", "7.14": "securityerror", "7.15": "securityerror",
    "7.16": "securityerror", "7.17": "securityerror", "7.18": "securityerror",
    "7.19": "securityerror", "7.20": "authfailure", "7.21": "authfailure",
    "7.22": "authfailure", "7.23": "authfailure", "7.24": "authfailure",
    "7.25": "requireptr", "7.26": "authfailure", "7.27": "notaccept", "7.28": "spamdetected",
    "7.29": "authfailure", "7.30": "authfailure",
}
GENERIC_STATUS_REASONS = frozenset({
    "undefined", "onhold", "systemerror", "securityerror", "expired", "networkerror",
    "hostunknown", "userunknown", "filtered", "rejected", "syntaxerror", "notaccept",
})

# A pseudo status for a reason found only in the text (old MTAs print no status code).
REASON_STATUS: dict[str, str] = {
    "userunknown": "1.1", "hostunknown": "1.2", "hasmoved": "1.6", "notaccept": "1.10",
    "mailboxfull": "2.2", "suspend": "2.1", "expired": "4.7", "filtered": "2.0",
    "rejected": "1.8", "blocked": "7.1", "spamdetected": "7.1", "virusdetected": "7.1",
    "policyviolation": "7.0", "securityerror": "7.0", "authfailure": "7.26",
    "requireptr": "7.25", "badreputation": "7.1", "norelaying": "7.1", "ratelimited": "7.1",
    "exceedlimit": "2.3", "emailtoolarge": "3.4", "contenterror": "6.0", "syntaxerror": "5.2",
    "systemerror": "3.0", "systemfull": "3.1", "networkerror": "4.0", "mailererror": "3.0",
    "notcompliantrfc": "6.0", "failedstarttls": "7.10", "undefined": "0.0", "onhold": "0.0",
}
# Reasons that are usually temporary when no SMTP code says otherwise.
TEMPORARY_BY_DEFAULT = frozenset({"mailboxfull", "expired", "ratelimited", "networkerror",
                                  "systemfull", "systemerror", "onhold"})

# Diagnostic phrases → reason, most specific first. Matched case-insensitively against the
# diagnostic text of one recipient (whitespace collapsed).
_TEXT_TABLE: list[tuple[str, list[str]]] = [
    ("virusdetected", [r"\bvirus", r"malware", r"\binfected\b", r"\btrojan"]),
    ("requireptr", [r"reverse (dns|lookup|hostname)", r"\bptr record", r"\bno rdns",
                    r"cannot find your (reverse )?hostname", r"rdns (lookup|check|entry)",
                    r"(ip|client) (name|address) lookup failed",
                    r"does not have (a )?(valid )?(ptr|reverse)"]),
    ("authfailure", [r"\bspf\b", r"\bdkim\b", r"\bdmarc\b", r"sender policy framework",
                     r"unauthenticated (email|mail|message)", r"authentication (check )?failed",
                     r"5\.7\.26", r"not (properly )?authenticated"]),
    ("failedstarttls", [r"starttls", r"\btls (is )?required", r"must (use|issue) (a )?tls",
                        r"encryption required"]),
    ("norelaying", [r"relay(ing)? (access )?(denied|not permitted|not allowed|prohibited)",
                    r"(unable|not permitted|not allowed) to relay", r"we do not relay",
                    r"relaying (mail )?(to .+ )?(is )?(denied|not allowed|disallowed)",
                    r"no relaying", r"not an open relay", r"relay not permitted"]),
    ("badreputation", [r"(low|poor|bad) (sender |ip |domain )?reputation",
                       r"reputation (is )?(too )?low"]),
    ("ratelimited", [r"gr[ae]y ?list", r"unexpected volume", r"rate limit",
                     r"too many (connections|messages|emails|mails|sessions)",
                     r"(sending|receiving) (mail )?at a rate", r"throttl",
                     r"exceeded (the )?(maximum |allowed )?(connection|sending|message) rate",
                     r"try again later.*(volume|rate)", r"temporarily rate",
                     r"unusual rate", r"too many (recipients|emails) (from|sent)"]),
    ("hasmoved", [r"has (been )?moved", r"address changed", r"no longer (at|with) ",
                  r"has been replaced by", r"new (e-?mail )?address is"]),
    ("mailboxfull", [r"mail ?box (is )?(full|over quota|exceeded|has exceeded|size limit)",
                     r"over ?quota", r"quota (exceeded|full|exceed|limit)", r"exceeded .*quota",
                     r"(inbox|mailfolder|mail ?box|account) (is )?(currently )?full",
                     r"(storage|disk) (space |allocation )?(quota )?(limit )?exceeded",
                     r"exceeded storage allocation", r"insufficient (user )?(storage|space) for",
                     r"user(s)? (mailbox )?is over", r"full mail ?box",
                     r"mailbox (would )?exceed", r"out of storage", r"not enough (storage|space) in",
                     r"too much mail", r"mailbox (size )?limit", r"user over quota",
                     r"is over (the )?(storage|quota)", r"would exceed mailbox",
                     r"boite (aux lettres )?pleine", r"postfach voll", r"mailbox voll",
                     r"disk quota", r"exceeding (their|the|its|his|her) quota", r"\bquota\b"]),
    ("systemfull", [r"insufficient (system )?storage", r"(disk|system|spool) (is )?full",
                    r"out of (disk|spool) space", r"system storage"]),
    ("suspend", [r"(account|mail ?box|user|address|recipient) (has been |is |was )?"
                 r"(temporarily |permanently |currently )?(disabled|suspended|deactivated|"
                 r"inactive|frozen|locked|blocked by the administrator)",
                 r"(disabled|suspended|inactive|deactivated|expired|closed) (account|mail ?box|user)",
                 r"account (has )?expired", r"(account|mailbox) (is )?(not active|unavailable)",
                 r"recipient suspend", r"(account|mail ?box)\b.{0,40}\b(is|has been|was) "
                 r"(temporarily |permanently )?(disabled|suspended|deactivated|inactive)",
                 r"extended inactivity", r"not currently being accepted",
                 r"account (has been )?closed", r"boite du destinataire archivee",
                 r"mailbox (is )?(temporarily )?(not available|unavailable|disabled)"]),
    ("rejected", [r"sender (address )?(rejected|refused|denied|blocked|not allowed|verify failed|"
                  r"domain (must exist|not found|does not exist))", r"domain of sender",
                  r"unknown sender", r"bad sender", r"sender (is )?(invalid|unknown)",
                  r"envelope sender", r"mail from (address )?(rejected|refused)",
                  r"return path", r"sender verification", r"invalid sender",
                  r"sender address (is )?(invalid|not valid)", r"null sender",
                  r"from address (is )?(not|in)", r"we do not accept mail from"]),
    ("hostunknown", [r"host (or domain name )?(not found|unknown)", r"unknown host",
                     r"(domain|host) (name )?(not found|does not exist|unknown|doesn'?t exist)",
                     r"no such (domain|host)", r"unrouteable mail domain", r"unroute?able address",
                     r"mx records point to non-existent hosts",
                     r"name or service not known", r"illegal host/domain",
                     r"recipient (address rejected: )?domain (must exist|not found)",
                     r"unknown (mail )?domain", r"(domain|host) lookup failed",
                     r"no (valid )?mx (record|host)", r"nxdomain", r"mx (record )?not found",
                     r"invalid domain", r"domain (is )?(invalid|not valid)",
                     r"unable to (resolve|route) .*(domain|host)"]),
    ("userunknown", [r"user(name)? (is )?(unknown|not found|invalid|doesn'?t exist|does not exist)",
                     r"unknown (user|recipient|local ?part|mailbox|address|account|alias)",
                     r"no such (user|mailbox|recipient|address|account|person|local user)",
                     r"(mailbox|recipient|address|account|user|addressee|e-?mail address|"
                     r"mail ?box name) (is )?(not found|unknown|invalid|does ?n[o']t exist|"
                     r"not valid|does not exist)",
                     r"invalid (recipient|mailbox|user|address|account|e-?mail)",
                     r"(mailbox|recipient|user) not (found|listed|exist)",
                     r"no mailbox (here )?(by that name|found)", r"mailbox unavailable",
                     r"does not exist", r"doesn'?t (have|exist)", r"not a valid (user|mailbox|recipient)",
                     r"recipient (address )?rejected", r"address rejected",
                     r"bad destination (mailbox|address)", r"(not|no longer) (a )?valid",
                     r"(is|are) not (a )?(known|valid) (user|recipient|mailbox)",
                     r"recipientnotfound", r"resolver\.adr\.", r"user (account )?unknown",
                     r"undeliverable address", r"no such (e-?mail|local)", r"not our customer",
                     r"address (is )?unknown", r"unknown or illegal alias",
                     r"this (user|account) doesn'?t have", r"(user|mailbox) inexistant",
                     r"utilisateur inconnu", r"unbekannt", r"destinatario (errato|inesistente)",
                     r"no account by that name", r"not a registered (\w+ )?user", r"user not known",
                     r"n'existe pas",
                     r"no matches to nameserver query", r"not listed in",
                     r"account (does not|doesn'?t) exist",
                     r"recipient not (found|recognized)", r"no valid recipients"]),
    ("virusdetected", [r"contains? a virus"]),
    ("spamdetected", [r"\bspam\b", r"spam (content|detected|message)", r"unsolicited",
                      r"junk ?mail", r"message content rejected", r"looks like spam",
                      r"content (was )?(rejected|filtered|blocked)", r"bulk (e-?)?mail",
                      r"classified as (spam|junk)", r"\buce\b", r"spamassassin", r"spam score",
                      r"identified as spam", r"high probability of being spam",
                      r"message (was )?(rejected|refused|blocked) (as|because|due to) .*(spam|content)"]),
    ("blocked", [r"blacklist", r"blocklist", r"block ?list", r"black ?listed", r"spamhaus",
                 r"spamcop", r"\bdnsbl\b", r"\brbl\b", r"\bsorbs\b", r"barracuda",
                 r"client host (\[.*\] )?(rejected|blocked)", r"(ip|host|address|your ip) "
                 r"(address )?(\S+ )?(is |has been |was )?(blocked|blacklisted|banned|listed)",
                 r"listed (in|on|at) ", r"connection (refused|rejected) (by|from)",
                 r"service unavailable;? client host", r"access denied\. ip",
                 r"refused to talk", r"(rejected|blocked) (because|due to) .*\bip\b",
                 r"sender ip", r"not allowed to send from", r"block(ed)? (using|by)",
                 r"banned", r"poor reputation"]),
    ("policyviolation", [r"policy (violation|rejection|reasons)", r"violat\w+ (our|the|local) "
                         r"(\w+ )?polic", r"(message|mail) (rejected|refused) (due to|by) "
                         r"(local |content )?polic", r"prohibited attachment",
                         r"(illegal|dangerous|forbidden|not allowed|blocked) attachment",
                         r"attachment (type )?(not allowed|blocked|rejected)",
                         r"closed mailing list", r"restricted to", r"not accepting mail with",
                         r"delivery not authorized", r"not authorized to (send|receive)",
                         r"message (has been )?blocked due to"]),
    ("filtered", [r"user refuses", r"recipient'?s? (mailbox |address )?(is )?(not accepting|"
                  r"unavailable|not available)", r"refused by (the )?recipient",
                  r"rejected by (the )?recipient", r"filter", r"sender (is )?(on|in) .*"
                  r"(block|deny|reject)", r"user (has )?blocked",
                  r"does not accept (e-?mail|mail|messages) from",
                  r"mail (is )?not accepted"]),
    ("notaccept", [r"does not accept mail", r"not accepting (any )?(e-?)?mail",
                   r"no smtp service", r"null mx", r"accepts no mail",
                   r"mail (receiving|reception) (is )?disabled"]),
    ("exceedlimit", [r"exceeds? (the )?(\w+ )?(size )?limit", r"too many recipients",
                     r"recipient limit", r"exceeded (the )?(maximum|limit)",
                     r"message length exceeds"]),
    ("emailtoolarge", [r"(message|mail|email|e-mail) (is |was )?(too (large|big|long))",
                       r"(message|mail) size (exceeds|too)", r"size (limit|exceeds)",
                       r"message too big", r"exceeds (the )?(maximum|max) (message )?size",
                       r"larger than .*(allowed|limit)"]),
    ("expired", [r"(delivery|retry) (time|timeout|period)( has)? (expired|exceeded)",
                 r"(message|mail) (has )?expired", r"(retry|queue) time(out)? (exceeded|reached)",
                 r"(could not|couldn'?t|unable to) (be )?deliver(ed)? .*for (more than )?\d+ "
                 r"(days|hours)", r"giving up", r"gave up", r"too long in queue",
                 r"maximum time in queue", r"message timed out", r"delivery expired",
                 r"was not delivered within", r"undeliverable for \d+", r"delivery period expired",
                 r"has not been delivered", r"not yet been delivered", r"delayed",
                 r"still trying", r"will (continue|keep) (trying|to try|retrying)",
                 r"retry (timeout|time)"]),
    ("mailererror", [r"mailer error", r"x-unix", r"command (died|output|failed)",
                     r"pipe to \|", r"procmail", r"local delivery failed",
                     r"program (exited|error)", r"exit (code|status) \d"]),
    ("networkerror", [r"connection (timed out|refused|reset|lost)", r"network (is )?unreachable",
                      r"no route to host", r"(could not|couldn'?t|unable to) connect",
                      r"timed out", r"mail loop", r"loops back to myself", r"too many hops",
                      r"hop count", r"routing loop", r"message looping", r"lost connection", r"dns (lookup )?"
                      r"(error|failure|timeout|timed)", r"temporary lookup failure",
                      r"name server", r"connection (was )?(dropped|closed)"]),
    ("syntaxerror", [r"syntax error", r"(command )?unrecognized command", r"command not recognized",
                     r"bad sequence of commands", r"invalid command", r"line too long"]),
    ("contenterror", [r"(invalid|illegal|malformed|bad) (header|mime|character|message)",
                      r"header (line )?(too long|is invalid|error)", r"content error",
                      r"message header size", r"8-?bit (data|characters) (not|rejected)"]),
    ("notcompliantrfc", [r"rfc ?5322", r"rfc ?2822", r"not (rfc )?compliant", r"rfc (violation|"
                         r"compliance)", r"multiple (from|date|subject|to|message-id) headers"]),
    ("securityerror", [r"authentication required", r"access denied", r"not authori[sz]ed",
                       r"permission denied", r"security (policy|reasons)", r"insecure",
                       r"encryption"]),
    ("systemerror", [r"system error", r"server error", r"internal error", r"local error",
                     r"(temporary|temporarily) (failure|unavailable|error)",
                     r"service (temporarily )?(not available|unavailable)", r"resources",
                     r"configuration error", r"misconfigur", r"server (is )?busy",
                     r"try again later"]),
]


def _required_literal(pattern: str) -> str:
    """The longest run of plain characters every match of `pattern` must contain ('' if none).

    Only text outside groups counts, and a character made optional by a quantifier after it
    is dropped: a cheap `in` test on this run skips most regex searches (re's IGNORECASE
    alternations cost ~1 ms on a 1 kB diagnostic; a substring test costs nothing).
    """
    runs: list[str] = []
    run = ""
    depth = 0
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            runs.append(run)
            run = ""
            i += 2
            continue
        if c == "(":
            depth += 1
            runs.append(run)
            run = ""
        elif c == ")":
            depth -= 1
        elif c in "?*{":
            run = run[:-1]
            runs.append(run)
            run = ""
            if c == "{":
                i = pattern.find("}", i)
                if i < 0:
                    return ""
        elif c in ".[]|+^$":
            if c == "|" and depth == 0:
                return ""  # a top-level alternative: nothing is required
            runs.append(run)
            run = ""
            if c == "[":
                i = pattern.find("]", i + 1)
                if i < 0:
                    return ""
        elif depth == 0:
            run += c
        i += 1
    runs.append(run)
    return max(runs, key=len).strip() if runs else ""


_COMPILED: list[tuple[str, list[tuple[str, re.Pattern[str]]]]] = [
    (reason, [(_required_literal(p), re.compile(p)) for p in patterns])
    for reason, patterns in _TEXT_TABLE
]


def reason_from_text(text: str) -> str | None:
    """The first reason whose phrases occur in the diagnostic text, or None."""
    if not text:
        return None
    lowered = text.lower()
    for reason, patterns in _COMPILED:
        for literal, pattern in patterns:
            if (not literal or literal in lowered) and pattern.search(lowered):
                return reason
    return None


def reason_from_status(status: str) -> str | None:
    """Reason for an enhanced status code (`5.1.1`), or None for x.0.0 and the unknown."""
    parts = status.split(".")
    if len(parts) != 3 or parts[1:] == ["0", "0"]:
        return None
    return STATUS_REASONS.get(f"{parts[1]}.{parts[2]}")


def decide(status: str, text: str) -> str:
    """The reason for one recipient: a precise status code wins, else the text, else the code."""
    by_status = reason_from_status(status)
    if by_status and by_status not in GENERIC_STATUS_REASONS:
        return by_status
    by_text = reason_from_text(text)
    if by_text:
        # A 4xx reply about a mailbox is not a hard 'unknown user': keep the code's meaning
        return by_text
    return by_status or ("undefined" if status.startswith("5") or not status else "undefined")


def pseudo_status(reason: str, smtp_class: str | None) -> str:
    """A status code for a reason when the message carries none (old or odd MTAs)."""
    if smtp_class not in ("4", "5"):
        smtp_class = "4" if reason in TEMPORARY_BY_DEFAULT else "5"
    return f"{smtp_class}.{REASON_STATUS.get(reason, '0.0')}"
