"""The vocabulary of the synthetic shop: countries, names, channel mix, consent questions.

Plain constants, kept apart from the generator in
[`relcore.testing.synthetic`][] so that the shape of the data can be read
(and tuned) in one place. Shares are relative weights unless they are
probabilities, which say so.
"""

from __future__ import annotations

from typing import NamedTuple

from relcore.domain import Channel, Direction, Purpose, TouchpointKind

DAY_MS = 86_400_000
"""Milliseconds in a day."""

FX = {"EUR": 1.0, "USD": 1.08, "GBP": 0.85}
"""Units of each currency for one euro of spend."""


class Country(NamedTuple):
    """A market of the shop."""

    code: str
    currency: str
    share: float
    language: str
    names: str
    """Key of `NAMES`."""
    phones: tuple[tuple[str, str], ...]
    """``(pattern, IANA time zone)``; in a pattern ``#`` is any digit, ``X`` is 2-9."""
    cities: tuple[tuple[str, str], ...]
    """``(city, postal code pattern)``."""
    legal: tuple[str, ...]
    """Company name suffixes."""
    streets: tuple[str, ...]


COUNTRIES: tuple[Country, ...] = (
    Country(
        "US", "USD", 30, "en-US", "en",
        (("+1212X######", "America/New_York"), ("+1312X######", "America/Chicago"),
         ("+1415X######", "America/Los_Angeles"), ("+1303X######", "America/Denver")),
        (("New York", "100##"), ("Chicago", "606##"), ("San Francisco", "941##"), ("Denver", "802##")),
        ("Inc", "LLC", "Corp"),
        ("Main Street", "Oak Avenue", "Market Street", "Elm Street"),
    ),
    Country(
        "GB", "GBP", 20, "en-GB", "en",
        (("+4474########", "Europe/London"), ("+44207#######", "Europe/London"),
         ("+44161#######", "Europe/London")),
        (("London", "EC1A #BB"), ("Manchester", "M# #AE"), ("Leeds", "LS# #AD")),
        ("Ltd", "plc"),
        ("High Street", "Station Road", "Church Lane", "Victoria Road"),
    ),
    Country(
        "DE", "EUR", 14, "de", "de",
        (("+49151########", "Europe/Berlin"), ("+49170#######", "Europe/Berlin"),
         ("+4930########", "Europe/Berlin")),
        (("Berlin", "10###"), ("Hamburg", "20###"), ("München", "80###")),
        ("GmbH", "AG"),
        ("Hauptstraße", "Bahnhofstraße", "Gartenweg", "Schillerstraße"),
    ),
    Country(
        "FR", "EUR", 12, "fr", "fr",
        (("+3361#######", "Europe/Paris"), ("+3367#######", "Europe/Paris"),
         ("+331########", "Europe/Paris")),
        (("Paris", "750##"), ("Lyon", "6900#"), ("Bordeaux", "330##")),
        ("SAS", "SARL", "SA"),
        ("rue de la Paix", "avenue Victor Hugo", "rue du Moulin", "place de la Gare"),
    ),
    Country(
        "NL", "EUR", 8, "nl", "nl",
        (("+3161#######", "Europe/Amsterdam"), ("+3120#######", "Europe/Amsterdam")),
        (("Amsterdam", "10## AB"), ("Utrecht", "35## CD")),
        ("BV", "NV"),
        ("Kerkstraat", "Dorpsstraat", "Stationsweg", "Prinsengracht"),
    ),
    Country(
        "ES", "EUR", 7, "es", "es",
        (("+346########", "Europe/Madrid"), ("+3491#######", "Europe/Madrid")),
        (("Madrid", "280##"), ("Barcelona", "080##")),
        ("SL", "SA"),
        ("Calle Mayor", "Gran Vía", "Calle Real", "Paseo del Prado"),
    ),
    Country(
        "IT", "EUR", 6, "it", "it",
        (("+39347#######", "Europe/Rome"), ("+39333#######", "Europe/Rome")),
        (("Milano", "201##"), ("Roma", "001##")),
        ("Srl", "SpA"),
        ("Via Roma", "Via Garibaldi", "Corso Italia", "Via Dante"),
    ),
    Country(
        "IE", "EUR", 3, "en-IE", "en",
        (("+35387#######", "Europe/Dublin"), ("+3531#######", "Europe/Dublin")),
        (("Dublin", "D0# F2X#"), ("Cork", "T12 X#Y#")),
        ("Ltd", "DAC"),
        ("Main Street", "Grafton Street", "Church Road", "Quay Street"),
    ),
)  # fmt: skip

NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    lang: (tuple(first.split()), tuple(last.split("|")))
    for lang, first, last in (
        (
            "en",
            "Ada Grace Alan Katherine Linus Margaret Dennis Barbara Oliver Amelia George Isla Noah Olivia",
            "Lovelace|Hopper|Turing|Johnson|Hamilton|Ritchie|Liskov|Allen|Wilson|O'Brien|Smith|Taylor",
        ),
        (
            "de",
            "Lena Jonas Hannah Lukas Emma Felix Mia Paul Sophie Maximilian Anna Leon",
            "Müller|Schmidt|Schneider|Fischer|Weber|Meyer|Wagner|Becker|Hoffmann|Schäfer",
        ),
        (
            "fr",
            "Camille Léa Hugo Louis Chloé Gabriel Manon Jules Inès Lucas Élodie Théo",
            "Martin|Bernard|Dubois|Thomas|Robert|Richard|Petit|Durand|Leroy|Moreau|Lefèvre",
        ),
        (
            "nl",
            "Sem Julia Daan Tess Lucas Saar Finn Anna Levi Zoë",
            "de Jong|Jansen|de Vries|van den Berg|van Dijk|Bakker|Visser|Smit|Meijer",
        ),
        (
            "es",
            "Lucía Hugo Martina Mateo Sofía Pablo Julia Daniel Valeria Álvaro",
            "García|Rodríguez|González|Fernández|López|Martínez|Sánchez|Pérez|Gómez",
        ),
        (
            "it",
            "Giulia Francesco Sofia Alessandro Aurora Lorenzo Ginevra Matteo Alice Leonardo",
            "Rossi|Russo|Ferrari|Esposito|Bianchi|Romano|Colombo|Ricci|Marino",
        ),
    )
}
"""Language key → (first names, last names)."""

COMPANIES = (
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Wonka",
    "Soylent",
    "Tyrell",
    "Dunder",
)
TRADES = ("Industries", "Trading", "Labs", "Foods", "Logistics", "Retail", "Studio", "Supplies")
PERSON_MAIL = ("example.com", "example.net", "example.org")
ROLES = ("billing", "technical", "manager", "assistant", "owner")
TAGS = ("newsletter", "gift-buyer", "eco", "early-adopter", "black-friday", "mobile-first")
ACQUISITION = ("organic", "paid-search", "social", "referral", "marketplace", "retail-store")


class Template(NamedTuple):
    """One sort of interaction: what a touchpoint on a channel looks like."""

    channel: Channel
    source: str
    """The system that reports it."""
    direction: Direction
    kind: TouchpointKind
    subjects: tuple[str | None, ...]
    outcomes: tuple[str | None, ...]
    campaign: bool
    """Whether it belongs to a campaign."""
    mood: str | None
    """``"negative"``, ``"mixed"`` (sometimes scored) or ``None`` (never scored)."""
    personal: bool
    """Whether a known contact is involved (not anonymous web or social traffic)."""


Row = tuple[
    Direction, TouchpointKind, float, tuple[str | None, ...], tuple[str | None, ...], bool, str | None, bool
]
"""direction, kind, weight within the channel, subjects, outcomes, campaign, mood, personal."""


def _channel(channel: Channel, share: float, source: str, *rows: Row) -> list[tuple[Template, float]]:
    total = sum(row[2] for row in rows)
    return [
        (Template(channel, source, direction, kind, subjects, outcomes, campaign, mood, personal),
         share * weight / total)
        for direction, kind, weight, subjects, outcomes, campaign, mood, personal in rows
    ]  # fmt: skip


NEWSLETTERS = ("Spring sale", "New collection", "Loyalty points", "Black Friday", "Summer sale", "Gift ideas")
SERVICE = ("Where is my parcel?", "Product question", "Return request", "Invoice request", "Change address")
COMPLAINTS = ("Damaged item", "Late delivery", "Wrong size", "Refund not received", "Rude courier")
NOTICES = ("Your order has shipped", "Welcome!", "Your invoice", "Password reset", "Review your purchase")
PAGES = ("/", "/products", "/products/sneakers", "/sale", "/cart", "/checkout", "/account", "/help")
NONE: tuple[str | None, ...] = (None,)
TALK = ("resolved", "resolved", "follow_up", "escalated", None)
OUT, IN, K = Direction.OUTBOUND, Direction.INBOUND, TouchpointKind

_MIX = [
    *_channel(Channel.EMAIL, 34, "esp",
        (OUT, K.MESSAGE, 38, NEWSLETTERS, ("delivered", "delivered", "bounced"), True, None, True),
        (OUT, K.MESSAGE, 16, NOTICES, ("delivered",), False, None, True),
        (IN, K.OPEN, 24, NEWSLETTERS, NONE, True, None, True),
        (IN, K.CLICK, 10, NEWSLETTERS, NONE, True, None, True),
        (IN, K.MESSAGE, 8, SERVICE, TALK, False, "mixed", True),
        (IN, K.COMPLAINT, 4, COMPLAINTS, TALK, False, "negative", True)),
    *_channel(Channel.WEB, 25, "web-analytics",
        (IN, K.WEB_VISIT, 55, PAGES, ("bounced", "engaged", "converted"), False, None, False),
        (IN, K.PAGE_VIEW, 45, PAGES, NONE, False, None, False)),
    *_channel(Channel.MOBILE_APP, 10, "app",
        (IN, K.PAGE_VIEW, 55, PAGES, NONE, False, None, True),
        (IN, K.CLICK, 30, PAGES, NONE, False, None, True),
        (OUT, K.MESSAGE, 15, NEWSLETTERS, ("delivered", "opened"), False, None, True)),
    *_channel(Channel.PHONE, 8, "call-center",
        (IN, K.CALL, 62, SERVICE, TALK, False, "mixed", True),
        (OUT, K.CALL, 28, ("Order follow-up", "Renewal", "Satisfaction call"),
         ("no_answer", "voicemail", "converted", "resolved"), False, "mixed", True),
        (IN, K.COMPLAINT, 10, COMPLAINTS, TALK, False, "negative", True)),
    *_channel(Channel.SMS, 6, "sms-gateway",
        (OUT, K.MESSAGE, 85, ("Your parcel arrives today", "Your code", "Flash sale"), ("delivered",), False,
         None, True),
        (IN, K.MESSAGE, 15, ("STOP", "Thanks!", "Where is my parcel?"), NONE, False, "mixed", True)),
    *_channel(Channel.CHAT, 6, "chat",
        (IN, K.MESSAGE, 55, SERVICE, TALK, False, "mixed", True),
        (IN, K.REQUEST, 30, SERVICE, TALK, False, "mixed", True),
        (IN, K.COMPLAINT, 8, COMPLAINTS, TALK, False, "negative", True),
        (IN, K.FEEDBACK, 7, ("Chat rating",), NONE, False, "mixed", True)),
    *_channel(Channel.SOCIAL, 4, "social-listening",
        (IN, K.MESSAGE, 45, SERVICE, TALK, False, "mixed", False),
        (IN, K.FEEDBACK, 25, ("Mention", "Review"), NONE, False, "mixed", False),
        (IN, K.COMPLAINT, 10, COMPLAINTS, TALK, False, "negative", False),
        (OUT, K.MESSAGE, 20, ("Reply", "Giveaway"), NONE, False, None, False)),
    *_channel(Channel.IN_PERSON, 2.5, "pos",
        (IN, K.VISIT, 85, ("Store visit",), ("purchased", "browsed"), False, None, True),
        (IN, K.MEETING, 15, ("Account review", "Showroom appointment"), TALK, False, "mixed", True)),
    *_channel(Channel.POSTAL, 1.5, "mail-house",
        (OUT, K.MESSAGE, 90, ("Catalogue", "Loyalty card", "Birthday voucher"), ("delivered",), True, None,
         True),
        (IN, K.MESSAGE, 10, ("Returned parcel", "Letter"), TALK, False, None, True)),
    *_channel(Channel.MMS, 1, "sms-gateway",
        (OUT, K.MESSAGE, 1, ("New collection",), ("delivered",), True, None, True)),
    *_channel(Channel.KIOSK, 1, "pos",
        (IN, K.VISIT, 1, ("Click and collect", "Price check"), NONE, False, None, False)),
    *_channel(Channel.VOICE_SERVER, 0.5, "ivr",
        (IN, K.CALL, 1, ("Order status", "Opening hours"), ("self_served", "transferred"), False, None,
         True)),
    *_channel(Channel.FAX, 0.3, "fax",
        (IN, K.MESSAGE, 1, ("Purchase order", "Signed contract"), NONE, False, None, True)),
    *_channel(Channel.OTHER, 0.2, "crm",
        (IN, K.NOTE, 1, ("Note",), NONE, False, None, True)),
]  # fmt: skip

TEMPLATES: tuple[Template, ...] = tuple(template for template, _ in _MIX)
"""Every sort of interaction on every channel."""

TEMPLATE_WEIGHTS: tuple[float, ...] = tuple(weight for _, weight in _MIX)
"""How common each of `TEMPLATES` is, in percent of all touchpoints."""


class ConsentAsk(NamedTuple):
    """A consent question put to every customer at sign-up."""

    purpose: Purpose
    channel: Channel | None
    granted: float
    """Probability of a grant at sign-up."""
    denied: float
    """Probability of a refusal at sign-up (else no answer)."""
    lifetime_days: float | None
    """How long a grant lasts, if it lapses."""


CONSENT_ASKS = (
    ConsentAsk(Purpose.MARKETING, Channel.EMAIL, 0.64, 0.18, None),
    ConsentAsk(Purpose.MARKETING, Channel.SMS, 0.30, 0.35, None),
    ConsentAsk(Purpose.ANALYTICS, None, 0.58, 0.30, 395.0),  # cookie banners ask again after 13 months
)
CONSENT_CHANGE = 0.15
"""Probability that an answer is reversed later (a withdrawal, or a late grant)."""
CONSENT_RENEWAL = 0.6
"""Probability that a lapsing grant is renewed."""
