"""A deterministic generator of realistic online-shop traffic, as GA4 BigQuery export rows.

``generate(store, start, end, users=5000, seed=1)`` adds the traffic of ``users`` people over the
days ``start..end`` (inclusive) to an :class:`~ga_goals.events.store.EventStore`. The same
arguments always give the same rows (a seeded :class:`random.Random`, no clock, no hash
randomisation), whatever the machine; another seed gives other traffic.

What the traffic looks like (figures are the rough rates the model produces):

* **Users and sessions.** Each user arrives on a day of the range (weekdays busier than the
  weekend, evenings busier than nights) and comes back for further sessions days later with
  a probability that grows with interest: about 1.8 sessions per user, a third of users
  returning. ``user_pseudo_id`` looks like GA4's (``<random>.<first visit seconds>``),
  ``ga_session_id`` is the session's start in seconds and ``ga_session_number`` counts the
  user's sessions. Users who sign up carry a ``user_id`` from then on, and a ``customer_tier``
  user property (new, returning, vip).
* **Devices and places.** Desktop (about 45 %), mobile (48 %) and tablet (7 %) with matching
  operating systems, browsers and brands; ten countries with regions and cities.
* **Channels and campaigns.** Organic search, paid search (two Google Ads campaigns, with
  ``gclid``), email (newsletter and abandoned-cart campaigns), organic and paid social,
  referral and direct. The first session's source is the user's ``traffic_source``; every
  session's source is in ``collected_traffic_source`` of its landing events and in
  ``session_traffic_source_last_click`` of all its events.
* **The journey.** ``first_visit`` / ``session_start`` / ``page_view`` on landing (the home,
  a category or a product page, by channel), then ``view_item_list`` on category pages,
  ``view_item`` on product pages, ``add_to_cart``, ``view_cart``, ``begin_checkout``,
  ``add_shipping_info``, ``add_payment_info`` and ``purchase``, with users dropping off at
  every stage. The rates depend on the device (mobile converts worse), the channel (email and
  direct best, social worst), on returning and on a per-user interest, so breakdowns differ.
  A cart survives the session: some users buy days later, which a funnel step with a short
  ``within`` does not count; a few payments take longer than 30 minutes; a few orders are free
  (``value`` 0, coupon ``FREEGIFT``).
* **Micro conversions** off the main path, more likely for interested users (so they show a
  lift against purchases): ``view_search_results`` (``search_term``), ``select_content`` with
  ``content_type`` ``filter`` (``filter_name``) or ``compare`` (``item_id``) or ``banner``,
  ``add_to_wishlist``, ``write_review`` (``reviews_written``, ``rating``), ``sign_up``
  (``method``) and ``form_submit`` with ``form_id`` ``newsletter`` or ``contact``; plus
  ``user_engagement`` (``engagement_time_msec``) and ``scroll`` (``percent_scrolled``) as a
  real web stream sends them.
* **Enhanced measurement.** ``scroll``, ``view_search_results`` and ``form_submit`` are what
  GA4's enhanced measurement collects on a web stream: with the stream's settings (the
  ``enhanced_measurement`` argument) turning one off, its events are left out and every other
  row stays exactly as it was (they are removed after every draw). The search results page's
  URL carries the term in the first of the settings' search query parameters
  (``/search?q=travel+cup``, also in the next page's ``page_referrer``).
* **Incidental events** (from a random stream of their own, added after the journeys):
  ``add_to_basket``, which an old tag still sends with half of the ``add_to_cart`` clicks (an
  event no plan declares), and ``share``, clicked on 6 % of first landing pages whoever the
  visitor is (a "micro conversion" that does not lead to purchases). ``ga-goals check`` finds
  both.
* **Known violations** of the shop's event schemas (configs/shop.yaml), from a random stream of
  their own (:func:`_add_known_violations`; every other row stays what it was): ``add_to_cart``
  without ``currency`` on every add-to-cart of a 5-day broken release near the end of the range
  (:func:`broken_release`), ``add_payment_info`` with ``payment_type`` ``bank_transfer`` (about
  3 %), ``purchase`` with ``value`` sent as text (about 1 %), ``view_item`` with an undeclared
  ``experiment_variant`` (about 2 %). ``ga-goals check`` finds exactly these four.
* **A product page experiment** with a known effect, for split tests: every user is in one
  arm of ``pdp_test`` (a user property on all their events: ``A``, ``B`` or ``C``, a third
  each). Arm B (a wishlist button on the product photo) saves a product it would not have
  saved with probability 0.12 per product view (:data:`PDP_TEST_EXTRA_WISHLIST`); A (the
  control) and C are the same. The arms and B's extra saves are drawn from a stream of their
  own and do not move the journey's clock, so every other event is exactly what it was without
  the experiment (only ``add_to_wishlist`` rows are added). Over a week of the default sandbox
  (about 230 users per arm view a product) about 10 % of product viewers save one in A and C
  against 27 % in B: measured on seeds 1 to 16, a two-proportion test with Holm's adjustment
  finds B every time and never flags C (see ``docs/reports.md``).
* **Ecommerce.** ``items`` with ids, names, brand, categories, variant, price, quantity and
  an ``item_color`` item parameter; ``value`` / ``currency`` parameters, ``ecommerce``
  totals, ``transaction_id``, shipping and tax, ``cart_value`` on ``begin_checkout`` and
  ``discount_amount`` on orders with a coupon.
* **Batches as GA4 sends them.** Events fired together share one ``event_timestamp``:
  ``first_visit``, ``session_start`` and the landing ``page_view`` are one hit (same
  ``batch_page_id``, ``batch_ordering_id`` and ``batch_event_index``), and ``view_item`` /
  ``view_item_list`` share their page view's timestamp in the same request with the next
  ``batch_event_index``. ``batch_page_id`` counts the user's pages, ``batch_ordering_id`` the
  requests of a page.

The property's time zone is UTC (``event_date`` is the UTC date of ``event_timestamp``).

How it is fast: Python draws the journey of every user (per event, a few integers packed into
one, and short strings, appended to column lists) and DuckDB turns those columns into export rows
(structs, parameter lists, items built once per distinct cart) in one ``INSERT ... SELECT``.
Measured (DuckDB 2.0.1, 2 cores): 5,000 users over 8 weeks were about 83,000 events in 2.0 s
(about 42,000 events/s end to end; Python's part is about 0.2 s); 60,000 users, about 994,000
events, in 21 s (47,000 events/s). Most of the time is DuckDB writing the wide nested rows.

Past 600 lines because it is one model of one shop: the simulation (:class:`_Simulation`) and
the SQL that expands its columns into export rows (``_expand_sql``) share the packed event codes,
the column layout and the catalogue, and a change to the traffic usually touches both. The
expansion SQL is the seam to move out if the two stop changing together.
"""

from __future__ import annotations

import math
import random
import time
from urllib.parse import quote_plus
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from itertools import accumulate
from typing import Any

from ga_goals.events.schema import lambda_sql
from ga_goals.events.store import EventStore
from ga_goals.model.enhanced_measurement import EVENT_SETTINGS, GA4_DEFAULTS, EnhancedMeasurement

# ---------------------------------------------------------------------------------------------
# The shop: categories, products, pages

HOST = "shop.example.com"
STREAM_ID = "4182736455"
BRAND = "Northwind"

_CATEGORIES: tuple[tuple[str, tuple[str, ...], float, float], ...] = (
    # name, product nouns, min price, max price
    ("Apparel", ("T-Shirt", "Hoodie", "Cap", "Socks", "Jacket", "Polo"), 12.0, 85.0),
    ("Drinkware", ("Mug", "Bottle", "Tumbler", "Travel Cup", "Glass Set"), 8.0, 38.0),
    ("Bags", ("Backpack", "Tote", "Duffel", "Laptop Sleeve", "Belt Bag"), 18.0, 120.0),
    ("Stationery", ("Notebook", "Pen Set", "Planner", "Sticker Pack", "Journal"), 4.0, 28.0),
    ("Electronics", ("Power Bank", "Earbuds", "Phone Stand", "USB Hub", "Speaker"), 15.0, 99.0),
    ("Home", ("Blanket", "Candle", "Cushion", "Lamp", "Plant Pot"), 10.0, 75.0),
)
_ADJECTIVES = ("Classic", "Eco", "Everyday", "Summit", "Urban", "Cloud", "Harbor", "Trail")
_COLORS = ("black", "white", "navy", "green", "red", "grey")
_FILTERS = ("color", "size", "price", "brand", "rating")
# fmt: off
_SEARCH_TERMS = (
    "mug", "hoodie", "backpack", "water bottle", "gift", "notebook", "earbuds", "sale", "black t-shirt",
    "travel", "kids", "candle", "power bank", "socks", "eco",
)
# fmt: on


@dataclass(frozen=True)
class Product:
    index: int
    item_id: str
    name: str
    category: str
    category_index: int
    price: float
    color: str


def _catalogue() -> tuple[Product, ...]:
    rng = random.Random("ga-goals shop catalogue")  # fixed: the shop is the same for every seed
    products: list[Product] = []
    for c, (category, nouns, low, high) in enumerate(_CATEGORIES):
        for noun in nouns:
            for adjective in rng.sample(_ADJECTIVES, 2):
                price = round(rng.uniform(low, high)) - 0.01
                products.append(
                    Product(
                        index=len(products),
                        item_id=f"SKU_{10000 + len(products) * 7}",
                        name=f"{BRAND} {adjective} {noun}",
                        category=category,
                        category_index=c,
                        price=price,
                        color=rng.choice(_COLORS),
                    )
                )
    return tuple(products)


PRODUCTS = _catalogue()
_BY_CATEGORY = tuple(tuple(p for p in PRODUCTS if p.category_index == c) for c in range(len(_CATEGORIES)))

# Pages: index -> (path, title). Products and categories have one page each.
_PAGES: list[tuple[str, str]] = [
    ("/", f"{BRAND} Shop | Home"),
    ("/search", f"Search results | {BRAND} Shop"),
    ("/cart", f"Your cart | {BRAND} Shop"),
    ("/checkout", f"Checkout | {BRAND} Shop"),
    ("/checkout/shipping", f"Shipping | {BRAND} Shop"),
    ("/checkout/payment", f"Payment | {BRAND} Shop"),
    ("/checkout/thank-you", f"Thank you | {BRAND} Shop"),
    ("/account/register", f"Create your account | {BRAND} Shop"),
    ("/contact", f"Contact us | {BRAND} Shop"),
]
P_HOME, P_SEARCH, P_CART, P_CHECKOUT, P_SHIPPING, P_PAYMENT, P_THANKS, P_REGISTER, P_CONTACT = range(9)
_P_CATEGORY0 = len(_PAGES)
for _category, *_ in _CATEGORIES:
    _PAGES.append((f"/{_category.lower()}", f"{_category} | {BRAND} Shop"))
_P_PRODUCT0 = len(_PAGES)
for _p in PRODUCTS:
    _PAGES.append((f"/{_p.category.lower()}/{_p.name.lower().replace(' ', '-')}", f"{_p.name} | {BRAND} Shop"))

# ---------------------------------------------------------------------------------------------
# Devices, places, channels


@dataclass(frozen=True)
class _Device:
    category: str
    brand: str
    model: str
    os: str
    os_version: str
    browser: str
    browser_version: str
    weight: float


_DEVICES = (
    _Device("desktop", "Microsoft", "Windows", "Windows", "Windows 10", "Chrome", "124.0", 20),
    _Device("desktop", "Microsoft", "Windows", "Windows", "Windows 11", "Edge", "124.0", 8),
    _Device("desktop", "Apple", "Macintosh", "Macintosh", "Macintosh Intel 10.15", "Safari", "17.4", 9),
    _Device("desktop", "Apple", "Macintosh", "Macintosh", "Macintosh Intel 10.15", "Chrome", "124.0", 5),
    _Device("desktop", "(not set)", "(not set)", "Linux", "Linux x86_64", "Firefox", "125.0", 3),
    _Device("mobile", "Apple", "iPhone", "iOS", "iOS 17.4", "Safari", "17.4", 22),
    _Device("mobile", "Samsung", "SM-S918B", "Android", "Android 14", "Samsung Internet", "24.0", 9),
    _Device("mobile", "Google", "Pixel 8", "Android", "Android 14", "Chrome", "124.0", 8),
    _Device("mobile", "Xiaomi", "Redmi Note 12", "Android", "Android 13", "Chrome", "123.0", 9),
    _Device("tablet", "Apple", "iPad", "iOS", "iPadOS 17.4", "Safari", "17.4", 5),
    _Device("tablet", "Samsung", "SM-X200", "Android", "Android 13", "Chrome", "123.0", 2),
)

# continent, sub_continent, country, language, weight, ((region, city), ...)
# fmt: off
_GEOS = (
    ("Americas", "Northern America", "United States", "en-us", 34,
     (("California", "Los Angeles"), ("New York", "New York"), ("Texas", "Austin"), ("Illinois", "Chicago"))),
    ("Europe", "Northern Europe", "United Kingdom", "en-gb", 14, (("England", "London"), ("Scotland", "Edinburgh"))),
    ("Europe", "Western Europe", "Germany", "de", 11, (("Berlin", "Berlin"), ("Bavaria", "Munich"))),
    ("Europe", "Western Europe", "France", "fr", 8, (("Ile-de-France", "Paris"), ("Auvergne-Rhone-Alpes", "Lyon"))),
    ("Americas", "Northern America", "Canada", "en-ca", 7, (("Ontario", "Toronto"), ("Quebec", "Montreal"))),
    ("Asia", "Southern Asia", "India", "en-in", 7, (("Maharashtra", "Mumbai"), ("Karnataka", "Bengaluru"))),
    ("Europe", "Southern Europe", "Spain", "es", 5, (("Community of Madrid", "Madrid"), ("Catalonia", "Barcelona"))),
    ("Europe", "Western Europe", "Netherlands", "nl", 5, (("North Holland", "Amsterdam"),)),
    ("Oceania", "Australasia", "Australia", "en-au", 5, (("New South Wales", "Sydney"), ("Victoria", "Melbourne"))),
    ("Asia", "Eastern Asia", "Japan", "ja", 4, (("Tokyo", "Tokyo"), ("Osaka", "Osaka"))),
)
# fmt: on


@dataclass(frozen=True)
class _Channel:
    key: str
    source: str
    medium: str
    campaign: str
    campaign_id: str | None
    term: str | None
    content: str | None
    first_touch_weight: float  # share of new users
    return_weight: float  # share of returning sessions
    conversion: float  # multiplier of the stage rates
    landing: tuple[float, float, float]  # home, category, product


# fmt: off
_CHANNELS = (
    # key, source, medium, campaign, campaign id, term, content, first-touch weight, return weight,
    # conversion multiplier, landing page shares (home, category, product)
    _Channel("organic_google", "google", "organic", "(organic)", None, None, None, 26, 12, 1.0, (0.35, 0.35, 0.30)),
    _Channel("organic_bing", "bing", "organic", "(organic)", None, None, None, 4, 2, 1.0, (0.35, 0.35, 0.30)),
    _Channel("paid_brand", "google", "cpc", "brand_search", "20481", "northwind shop", "text_ad_a", 8, 4, 1.25,
             (0.6, 0.2, 0.2)),
    _Channel("paid_generic", "google", "cpc", "generic_products", "20519", "insulated travel mug", "shopping_ad",
             13, 3, 1.05, (0.05, 0.35, 0.60)),
    _Channel("email_newsletter", "newsletter", "email", "weekly_newsletter", "30112", None, "hero_banner", 2, 16,
             1.3, (0.3, 0.3, 0.4)),
    _Channel("email_cart", "newsletter", "email", "abandoned_cart", "30140", None, "cart_reminder", 0, 0, 1.5,
             (0.0, 0.0, 0.0)),
    _Channel("social_instagram", "instagram", "social", "spring_looks", None, None, "story", 10, 5, 0.55,
             (0.2, 0.2, 0.6)),
    _Channel("paid_social", "facebook", "paid_social", "retargeting_q2", "40210", None, "carousel", 7, 4, 0.75,
             (0.1, 0.3, 0.6)),
    _Channel("referral_blog", "blog.example.org", "referral", "(referral)", None, None, None, 6, 3, 0.9,
             (0.2, 0.4, 0.4)),
    _Channel("direct", "(direct)", "(none)", "(direct)", None, None, None, 24, 51, 1.2, (0.75, 0.15, 0.10)),
)
# fmt: on
_CHANNEL_INDEX = {c.key: i for i, c in enumerate(_CHANNELS)}
_EMAIL_CART = _CHANNEL_INDEX["email_cart"]
_DIRECT = _CHANNEL_INDEX["direct"]

#: The product-page experiment: its user property, its arms, and each arm's extra chance that a
#: product view the user would not have saved ends in an add_to_wishlist (see the module docstring).
PDP_TEST_PROPERTY = "pdp_test"
PDP_TEST_ARMS = ("A", "B", "C")
PDP_TEST_EXTRA_WISHLIST = (0.0, 0.12, 0.0)

#: Conversion multipliers by device category (applied to each stage's continue rate).
_DEVICE_CONVERSION = {"desktop": 1.12, "mobile": 0.82, "tablet": 0.97}

_WEEKDAY_WEIGHT = (1.0, 1.06, 1.03, 0.98, 0.88, 0.72, 0.84)  # Monday .. Sunday
# fmt: off
_HOUR_WEIGHT = (  # UTC hours 0 .. 23
    0.6, 0.35, 0.25, 0.2, 0.2, 0.3, 0.6, 1.2, 1.9, 2.3, 2.5, 2.7,
    3.0, 2.9, 2.6, 2.5, 2.5, 2.8, 3.2, 3.6, 3.8, 3.4, 2.4, 1.3,
)
# fmt: on

S = 1_000_000  # microseconds in a second

# Event names are passed to DuckDB as small integers.
# fmt: off
_EVENT_NAMES = (
    "first_visit", "session_start", "page_view", "user_engagement", "scroll", "view_item_list", "view_item",
    "select_content", "view_search_results", "add_to_wishlist", "write_review", "add_to_cart", "view_cart",
    "begin_checkout", "sign_up", "add_shipping_info", "add_payment_info", "purchase", "form_submit",
    "add_to_basket", "share",
)
(E_FIRST_VISIT, E_SESSION_START, E_PAGE_VIEW, E_ENGAGEMENT, E_SCROLL, E_VIEW_ITEM_LIST, E_VIEW_ITEM,
 E_SELECT_CONTENT, E_SEARCH, E_WISHLIST, E_REVIEW, E_ADD_TO_CART, E_VIEW_CART, E_BEGIN_CHECKOUT, E_SIGN_UP,
 E_SHIPPING, E_PAYMENT, E_PURCHASE, E_FORM_SUBMIT, E_LEGACY_BASKET, E_SHARE) = range(len(_EVENT_NAMES))
# fmt: on


def _weighted(rng: random.Random, cumulative: Sequence[float]) -> int:
    return bisect(cumulative, rng.random() * cumulative[-1])


@dataclass(frozen=True)
class GenerationResult:
    """What :func:`generate` added."""

    users: int
    sessions: int
    events: int
    inserted: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else float("inf")


class _Columns:
    """The compact per-event columns Python produces and DuckDB expands.

    ``code`` packs the small integers of an event into one BIGINT (see :data:`_PACKED`), which
    halves what crosses from Python into DuckDB.
    """

    NAMES = ("u", "ts", "sid", "code", "items", "val", "s1", "s2", "n1", "flaw")

    def __init__(self) -> None:
        self.u: list[int] = []
        self.ts: list[int] = []
        self.sid: list[int] = []
        self.code: list[int] = []
        self.items: list[str | None] = []
        self.val: list[float | None] = []
        self.s1: list[str | None] = []
        self.s2: list[str | None] = []
        self.n1: list[int | None] = []
        #: A known violation of the shop's event schemas (:data:`FLAWS`), None for none.
        self.flaw: list[int | None] = []

    def as_parameters(self) -> dict[str, list[Any]]:
        return {name: getattr(self, name) for name in self.NAMES}

    def __len__(self) -> int:
        return len(self.u)


#: Fields packed into ``code``: name -> (shift, bits). Page indexes are stored plus one (-1 = none).
_PACKED = {
    "ev": (0, 5),
    "sn": (5, 6),
    "ch": (11, 4),
    "pg": (15, 8),
    "prev": (23, 8),
    "bp": (31, 12),
    "bo": (43, 6),
    "bi": (49, 4),
    "login": (53, 1),
    "tier": (54, 2),
    "land": (56, 1),
}


class _Simulation:
    """Draws users, sessions and journeys; appends one entry per event to :class:`_Columns`."""

    def __init__(self, start: date, end: date, users: int, seed: int) -> None:
        self.rng = random.Random(seed)
        # The experiment's arms come from their own stream: drawing them takes nothing from `rng`.
        self.arm_rng = random.Random(f"{seed} {PDP_TEST_PROPERTY}")
        self.start, self.end = start, end
        self.n_users = users
        self.range_start = int(datetime(start.year, start.month, start.day, tzinfo=timezone.utc).timestamp()) * S
        self.range_end = (
            int(datetime(end.year, end.month, end.day, tzinfo=timezone.utc).timestamp() + 86400) * S - 1
        )  # inclusive, last microsecond of `end`
        self.days = (end - start).days + 1
        self.c = _Columns()
        #: (user, page number, search term) of every search results page (its URL carries the term).
        self.searches: list[tuple[int, int, str]] = []
        self.sessions = 0
        # per-user rows for the users table
        self.user_rows: list[tuple[Any, ...]] = []
        self._device_cum = list(accumulate(d.weight for d in _DEVICES))
        self._geo_cum = list(accumulate(g[4] for g in _GEOS))
        self._first_cum = list(accumulate(c.first_touch_weight for c in _CHANNELS))
        self._return_cum = list(accumulate(c.return_weight for c in _CHANNELS))
        self._hour_cum = list(accumulate(_HOUR_WEIGHT))
        day_weights = [_WEEKDAY_WEIGHT[(start + timedelta(days=d)).weekday()] for d in range(self.days)]
        self._day_cum = list(accumulate(day_weights))

    # -- users and sessions ------------------------------------------------------------------

    def run(self) -> None:
        for u in range(self.n_users):
            self.user(u)

    def user(self, u: int) -> None:
        rng = self.rng
        device = _weighted(rng, self._device_cum)
        geo = _weighted(rng, self._geo_cum)
        region = rng.randrange(len(_GEOS[geo][5]))
        first_channel = _weighted(rng, self._first_cum)
        affinity = math.exp(rng.gauss(0.0, 0.45))  # how interested this person is
        day = _weighted(rng, self._day_cum)
        start = self.session_time(day)
        state = _UserState(u=u, device=device, affinity=affinity)
        state.arm = self.arm_rng.randrange(len(PDP_TEST_ARMS))
        channel = first_channel
        session_ts = start
        while session_ts <= self.range_end and state.session_number < 40:
            state.session_number += 1
            self.sessions += 1
            end_ts = self.session(state, session_ts, channel)
            # Coming back: likelier for interested users and for users with a full cart.
            back = 0.22 + 0.16 * min(affinity, 2.0) + (0.2 if state.cart else 0.0)
            if rng.random() > min(back, 0.85):
                break
            gap_days = rng.expovariate(1 / 6.0)
            if state.cart and rng.random() < 0.35:
                gap_days = rng.uniform(0.02, 1.5)  # back soon to finish the order
            session_ts = max(end_ts + 30 * 60 * S, self.session_time_after(end_ts, gap_days))
            if state.cart and rng.random() < 0.25:
                channel = _EMAIL_CART  # the abandoned-cart email brought them back
            else:
                channel = _weighted(rng, self._return_cum)
        if state.session_number:
            pseudo = f"{rng.randrange(10**9, 2 * 10**9)}.{start // S}"
            self.user_rows.append(
                (u, pseudo, start, device, geo, region, first_channel, f"C{100000 + u}", round(state.revenue, 2), state.arm)
            )

    def session_time(self, day: int) -> int:
        rng = self.rng
        hour = _weighted(rng, self._hour_cum)
        seconds = (day * 86400 + hour * 3600 + rng.randrange(3600)) * S
        return self.range_start + seconds + rng.randrange(S)

    def session_time_after(self, ts: int, gap_days: float) -> int:
        rng = self.rng
        target = ts + int(gap_days * 86400 * S)
        if gap_days < 1.5:
            return target
        # Land on a likely hour of that day.
        day = (target - self.range_start) // (86400 * S)
        hour = _weighted(rng, self._hour_cum)
        return self.range_start + (day * 86400 + hour * 3600 + rng.randrange(3600)) * S + rng.randrange(S)

    # -- one session ------------------------------------------------------------------------

    def session(self, st: _UserState, ts: int, channel: int) -> int:
        rng = self.rng
        ch = _CHANNELS[channel]
        device = _DEVICES[st.device]
        returning = st.session_number > 1
        rate = _DEVICE_CONVERSION[device.category] * ch.conversion * (1.12 if returning else 1.0)
        rate *= min(st.affinity, 2.2) ** 0.6
        st.session_id = ts // S
        st.channel = channel
        st.ts = ts
        st.page = -1
        st.landing = True

        # Landing page, by channel (a full cart and an abandoned-cart email land on the cart).
        if channel == _EMAIL_CART or (st.cart and channel == _DIRECT and rng.random() < 0.4):
            page = "cart"
        else:
            r = rng.random()
            to_home, to_category, _ = ch.landing
            page = "home" if r < to_home else "category" if r < to_home + to_category else "product"
        # The product or category the next page shows (None: drawn when the page opens).
        product: Product | None = None
        category: int | None = None
        pages = 0
        while page != "exit" and pages < 25:
            pages += 1
            if page == "home":
                page, product, category = self.home(st, rate), None, None
            elif page == "category":
                page, product = self.category(st, rate, category)
                category = None
            elif page == "search":
                page, product = self.search(st, rate)
                category = None
            elif page == "product":
                page, category = self.product(st, rate, product)
                product = None
            elif page == "cart":
                page, product, category = self.cart(st, rate), None, None
            elif page == "checkout":
                page, product, category = self.checkout(st, rate), None, None
            else:
                page, product, category = self.contact(st), None, None
        self.leave_page(st)
        return st.ts

    # -- pages -------------------------------------------------------------------------------

    def open_page(self, st: _UserState, page_index: int, dwell_mean: float) -> None:
        """Leave the current page (user_engagement), load the next one (page_view)."""
        if not st.landing:
            self.leave_page(st)
            st.ts += self.rng.randrange(50_000, 900_000)
        st.dwell = dwell_mean
        st.prev_page, st.page = st.page, page_index
        st.bp += 1
        st.bo = 1
        st.bi = 0
        landing = st.landing
        if landing:
            if st.session_number == 1:
                self.emit(st, E_FIRST_VISIT, land=True)
            self.emit(st, E_SESSION_START, land=True)
        self.emit(st, E_PAGE_VIEW, land=landing)
        st.landing = False

    def leave_page(self, st: _UserState) -> None:
        """Time on the page: maybe a scroll, then (usually) the user_engagement GA4 sends on leaving."""
        rng = self.rng
        dwell = int(rng.expovariate(1 / st.dwell) * S) + rng.randrange(200_000, 2 * S)
        if rng.random() < 0.3:
            st.ts += dwell // 2
            st.bo += 1
            st.bi = 0
            self.emit(st, E_SCROLL, n1=90)
            dwell -= dwell // 2
        st.ts += dwell
        if rng.random() < 0.7:
            st.bo += 1
            st.bi = 0
            self.emit(st, E_ENGAGEMENT, n1=min(dwell // 1000, 3_600_000))

    def later(self, st: _UserState, low: float, high: float) -> None:
        """Time passes on the page; the next event goes out in a new request."""
        st.ts += int(self.rng.uniform(low, high) * S)
        st.bo += 1
        st.bi = 0

    def home(self, st: _UserState, rate: float) -> str:
        rng = self.rng
        self.open_page(st, P_HOME, 15)
        if rng.random() < 0.035:
            self.later(st, 5, 40)
            self.emit(st, E_FORM_SUBMIT, s1="newsletter", s2="/newsletter/subscribe")
        if rng.random() < 0.12:
            self.later(st, 2, 10)
            self.emit(st, E_SELECT_CONTENT, s1="banner", s2="summer_sale")
            return "category"
        r = rng.random()
        if r < 0.52:
            return "category"
        if r < 0.52 + 0.14 * min(st.affinity, 2) ** 0.5:
            return "search"
        if r < 0.80:
            return "product"
        if r < 0.82:
            return "contact"
        return "exit"

    def category(self, st: _UserState, rate: float, category: int | None) -> tuple[str, Product | None]:
        rng = self.rng
        c = category if category is not None else rng.randrange(len(_CATEGORIES))
        self.open_page(st, _P_CATEGORY0 + c, 25)
        listed = _BY_CATEGORY[c]
        self.emit(
            st,
            E_VIEW_ITEM_LIST,
            items=";".join(f"{p.index}:1:{i + 1}" for i, p in enumerate(listed[:8])),
            s1=_CATEGORIES[c][0],
            same_request=True,
        )
        if rng.random() < 0.16 * st.affinity:
            self.later(st, 3, 20)
            self.emit(st, E_SELECT_CONTENT, s1="filter", s2=rng.choice(_FILTERS))
        if rng.random() < min(0.9, 0.62 * rate**0.5):
            return "product", rng.choice(listed)
        if rng.random() < 0.25:
            return "search", None
        return "exit", None

    def search(self, st: _UserState, rate: float) -> tuple[str, Product | None]:
        rng = self.rng
        self.open_page(st, P_SEARCH, 20)
        term = rng.choice(_SEARCH_TERMS)
        self.searches.append((st.u, min(st.bp, 4095), term))
        self.emit(st, E_SEARCH, s1=term, same_request=True)
        if rng.random() < min(0.9, 0.6 * rate**0.5):
            return "product", rng.choice(PRODUCTS)
        return ("category", None) if rng.random() < 0.3 else ("exit", None)

    def product(self, st: _UserState, rate: float, product: Product | None) -> tuple[str, int | None]:
        rng = self.rng
        p = product or rng.choice(PRODUCTS)
        self.open_page(st, _P_PRODUCT0 + p.index, 40)
        self.emit(st, E_VIEW_ITEM, items=f"{p.index}:1:0", val=p.price, same_request=True)
        if rng.random() < 0.05 * st.affinity**1.5:
            self.later(st, 5, 30)
            other = rng.choice(_BY_CATEGORY[p.category_index])
            self.emit(st, E_SELECT_CONTENT, s1="compare", s2=other.item_id)
        if rng.random() < 0.045 * st.affinity:
            self.later(st, 5, 40)
            self.emit(st, E_WISHLIST, items=f"{p.index}:1:0", val=p.price)
        elif self.arm_rng.random() < PDP_TEST_EXTRA_WISHLIST[st.arm]:
            self.experiment_wishlist(st, p)
        if rng.random() < (0.06 if st.orders else 0.004):
            self.later(st, 30, 180)
            self.emit(st, E_REVIEW, s1=p.item_id, n1=rng.choice((3, 4, 4, 5, 5, 5)))
        if rng.random() < min(0.6, 0.085 * rate):
            self.later(st, 8, 60)
            qty = 1 if rng.random() < 0.85 else 2
            st.cart[p.index] = st.cart.get(p.index, 0) + qty
            self.emit(st, E_ADD_TO_CART, items=f"{p.index}:{qty}:0", val=round(p.price * qty, 2))
            r = rng.random()
            if r < 0.68:
                return "cart", None
            if r < 0.88:
                return "category", p.category_index
            return "exit", None
        r = rng.random()
        if r < 0.3:
            return "product", None
        if r < 0.45:
            return "category", p.category_index
        if st.cart and r < 0.6:
            return "cart", None
        return "exit", None

    def experiment_wishlist(self, st: _UserState, p: Product) -> None:
        """Arm B's extra save: one more request, 20 to 90 ms after the product view (before anything
        else the page sends, which comes 100 ms or more later). Its draws come from the experiment's
        stream and the clock of the journey does not move, so every other event stays as it is."""
        ts = st.ts
        st.ts += self.arm_rng.randrange(20_000, 90_000)
        st.bo += 1
        st.bi = 0
        self.emit(st, E_WISHLIST, items=f"{p.index}:1:0", val=p.price)
        st.ts = ts

    def cart(self, st: _UserState, rate: float) -> str:
        rng = self.rng
        self.open_page(st, P_CART, 25)
        if not st.cart:
            return "category" if rng.random() < 0.5 else "exit"
        items, value = self.cart_items(st)
        self.emit(st, E_VIEW_CART, items=items, val=value, same_request=True)
        if rng.random() < min(0.9, 0.5 * rate):
            self.later(st, 4, 50)
            self.emit(st, E_BEGIN_CHECKOUT, items=items, val=value)
            return "checkout"
        return "category" if rng.random() < 0.3 else "exit"

    def checkout(self, st: _UserState, rate: float) -> str:
        rng = self.rng
        items, value = self.cart_items(st)
        if not st.logged_in and rng.random() < 0.3:
            self.open_page(st, P_REGISTER, 50)
            self.later(st, 20, 90)
            self.emit(st, E_SIGN_UP, s1="email")
            st.logged_in = True
        self.open_page(st, P_SHIPPING, 60)
        if rng.random() > min(0.95, 0.72 * rate**0.7):
            return "exit"
        self.later(st, 25, 150)
        self.emit(st, E_SHIPPING, items=items, val=value, s1=rng.choice(("Standard", "Standard", "Express")))
        self.open_page(st, P_PAYMENT, 40)
        if rng.random() > min(0.95, 0.76 * rate**0.5):
            return "exit"
        self.later(st, 20, 120)
        self.emit(st, E_PAYMENT, items=items, val=value, s1=rng.choice(("Credit Card", "Credit Card", "PayPal")))
        if rng.random() > min(0.97, 0.8 * rate**0.4):
            return "exit"
        # Most payments are confirmed within a minute or two; a few wait on the bank.
        if rng.random() < 0.05:
            st.ts += int(rng.uniform(31 * 60, 90 * 60) * S)
        self.open_page(st, P_THANKS, 5)
        st.orders += 1
        free = rng.random() < 0.03
        shipping = 0.0 if value >= 50 else 4.95
        revenue = 0.0 if free else round(value + shipping, 2)
        st.revenue += revenue
        self.emit(
            st,
            E_PURCHASE,
            items=items,
            val=revenue,
            s1=f"T{st.u:06d}{st.orders:02d}",
            s2="FREEGIFT" if free else ("WELCOME10" if rng.random() < 0.08 else None),
            n1=int(shipping * 100),
            same_request=True,
        )
        st.cart.clear()
        return "exit" if rng.random() < 0.85 else "home"

    def contact(self, st: _UserState) -> str:
        rng = self.rng
        self.open_page(st, P_CONTACT, 30)
        if rng.random() < 0.4:
            self.later(st, 20, 120)
            self.emit(st, E_FORM_SUBMIT, s1="contact", s2="/contact/send")
        return "home" if rng.random() < 0.3 else "exit"

    @staticmethod
    def cart_items(st: _UserState) -> tuple[str, float]:
        items = ";".join(f"{index}:{qty}:0" for index, qty in sorted(st.cart.items()))
        value = round(sum(PRODUCTS[index].price * qty for index, qty in st.cart.items()), 2)
        return items, value

    # -- one event ---------------------------------------------------------------------------

    def emit(
        self,
        st: _UserState,
        event: int,
        *,
        items: str | None = None,
        val: float | None = None,
        s1: str | None = None,
        s2: str | None = None,
        n1: int | None = None,
        land: bool = False,
        same_request: bool = False,
    ) -> None:
        if st.ts > self.range_end:
            return
        c = self.c
        if same_request:
            st.bi += 1
        tier = 2 if st.orders >= 2 else 1 if st.session_number > 1 or st.orders else 0
        c.u.append(st.u)
        c.ts.append(st.ts)
        c.sid.append(st.session_id)
        c.code.append(
            event
            | st.session_number << 5
            | st.channel << 11
            | (st.page + 1) << 15
            | (st.prev_page + 1) << 23
            | min(st.bp, 4095) << 31
            | min(st.bo, 63) << 43
            | min(st.bi, 15) << 49
            | st.logged_in << 53
            | tier << 54
            | land << 56
        )
        c.items.append(items)
        c.val.append(val)
        c.s1.append(s1)
        c.s2.append(s2)
        c.n1.append(n1)
        c.flaw.append(None)


#: The legacy tag's share of add-to-cart clicks, and the share of first visits with a "share" click.
LEGACY_BASKET_RATE = 0.5
SHARE_RATE = 0.06


def _add_incidental_events(sim: _Simulation, seed: int) -> None:
    """Events that tell nothing about intent, added after the journeys, from a random stream of
    their own (so the journeys' events stay exactly what they were):

    * ``add_to_basket``: the previous shop's tag, still on the product template, sends it with
      half of the ``add_to_cart`` clicks (same moment, same request): an event no plan declares;
    * ``share``: a share button in the header, clicked on 6 % of first landing pages a few
      seconds after they load, whoever the visitor is: a "micro conversion" whose users convert
      no more often than anyone else.
    """
    rng = random.Random(f"ga-goals shop incidental events {seed}")
    c = sim.c
    ev_mask = (1 << _PACKED["ev"][1]) - 1
    sn_shift, sn_mask = _PACKED["sn"][0], (1 << _PACKED["sn"][1]) - 1
    land_bit = 1 << _PACKED["land"][0]
    for k in range(len(c)):
        code = c.code[k]
        ev = code & ev_mask
        if ev == E_ADD_TO_CART and rng.random() < LEGACY_BASKET_RATE:
            _copy_event(c, k, (code & ~ev_mask) | E_LEGACY_BASKET, c.ts[k])
        elif ev == E_PAGE_VIEW and code & land_bit and (code >> sn_shift) & sn_mask == 1 and rng.random() < SHARE_RATE:
            ts = c.ts[k] + int(rng.uniform(2, 20) * S)
            if ts <= sim.range_end:
                _copy_event(c, k, (code & ~ev_mask & ~land_bit) | E_SHARE, ts)


def _copy_event(c: _Columns, k: int, code: int, ts: int) -> None:
    """Append an event of the same user, session and page as event ``k``, without its payload."""
    c.u.append(c.u[k])
    c.ts.append(ts)
    c.sid.append(c.sid[k])
    c.code.append(code)
    c.items.append(None)
    c.val.append(None)
    c.s1.append(None)
    c.s2.append(None)
    c.n1.append(None)
    c.flaw.append(None)


#: The known violations of the shop's event schemas (``ga-goals check`` finds them), by code.
FLAW_NO_CURRENCY, FLAW_BANK_TRANSFER, FLAW_VALUE_AS_TEXT, FLAW_EXPERIMENT_VARIANT = 1, 2, 3, 4
#: How long the broken release that drops add_to_cart's currency lasted (days), and how many days
#: before the end of the range its last day may be (drawn from the violations' stream).
BROKEN_RELEASE_DAYS = 5
BROKEN_RELEASE_END_BEFORE = (3, 14)
#: Shares of the events that carry the other violations.
BANK_TRANSFER_RATE = 0.03
VALUE_AS_TEXT_RATE = 0.01
EXPERIMENT_VARIANT_RATE = 0.02
#: The undeclared parameter a leftover experiment snippet adds to product views, and its values.
EXPERIMENT_VARIANT = "experiment_variant"
EXPERIMENT_VARIANTS = ("control", "gallery_v2")


def broken_release(start: date, end: date, seed: int) -> tuple[date, date]:
    """The first and last day of the broken release (``add_to_cart`` without ``currency``) of the
    traffic of ``start..end`` with ``seed`` (days outside the range have no traffic)."""
    rng = random.Random(f"ga-goals shop known violations {seed}")
    last = end - timedelta(days=rng.randint(*BROKEN_RELEASE_END_BEFORE))
    return last - timedelta(days=BROKEN_RELEASE_DAYS - 1), last


def _add_known_violations(sim: _Simulation, seed: int) -> None:
    """Violations of the shop's event schemas (configs/shop.yaml), from a random stream of their own
    (the first draw is :func:`broken_release`'s), so every other row stays exactly what it was:

    1. ``add_to_cart`` without ``currency`` on every add_to_cart of :data:`BROKEN_RELEASE_DAYS`
       consecutive days near the end of the range (a broken release);
    2. ``add_payment_info`` with ``payment_type`` ``bank_transfer`` (not an allowed value), on
       :data:`BANK_TRANSFER_RATE` of them;
    3. ``purchase`` with ``value`` sent as text (``"54.99"``: the export keeps it in
       ``string_value``), on :data:`VALUE_AS_TEXT_RATE` of them;
    4. ``view_item`` with an undeclared ``experiment_variant`` parameter, on
       :data:`EXPERIMENT_VARIANT_RATE` of them.
    """
    rng = random.Random(f"ga-goals shop known violations {seed}")
    rng.randint(*BROKEN_RELEASE_END_BEFORE)  # broken_release's draw
    first, last = broken_release(sim.start, sim.end, seed)
    day = 86400 * S
    broken = (sim.range_start + (first - sim.start).days * day, sim.range_start + ((last - sim.start).days + 1) * day)
    c = sim.c
    ev_mask = (1 << _PACKED["ev"][1]) - 1
    for k in range(len(c)):
        ev = c.code[k] & ev_mask
        if ev == E_ADD_TO_CART:
            if broken[0] <= c.ts[k] < broken[1]:
                c.flaw[k] = FLAW_NO_CURRENCY
        elif ev == E_PAYMENT:
            if rng.random() < BANK_TRANSFER_RATE:
                c.flaw[k] = FLAW_BANK_TRANSFER
        elif ev == E_PURCHASE:
            if rng.random() < VALUE_AS_TEXT_RATE:
                c.flaw[k] = FLAW_VALUE_AS_TEXT
        elif ev == E_VIEW_ITEM:
            if rng.random() < EXPERIMENT_VARIANT_RATE:
                c.flaw[k] = FLAW_EXPERIMENT_VARIANT
                c.s2[k] = rng.choice(EXPERIMENT_VARIANTS)


# ---------------------------------------------------------------------------------------------
# Enhanced measurement: what the web stream's settings let GA4 collect

#: The search page's query parameter when the settings name none (the first of GA4's defaults).
SEARCH_PARAMETER = "q"


def measured(settings: EnhancedMeasurement | None) -> tuple[frozenset[int], str]:
    """(the codes of the shop's events GA4 does not collect under ``settings``, the query parameter
    the search page's URL uses). Which event needs which setting is
    :data:`~ga_goals.model.enhanced_measurement.EVENT_SETTINGS`."""
    full = GA4_DEFAULTS if settings is None else settings.merged_over(GA4_DEFAULTS)
    dropped = frozenset(
        code for code, name in enumerate(_EVENT_NAMES) if name in EVENT_SETTINGS and full.collects(name) is False
    )
    return dropped, (full.search_parameters or [SEARCH_PARAMETER])[0]


def traffic_key(settings: EnhancedMeasurement | None) -> str:
    """What ``settings`` change in the generated traffic, in words; ``""`` when nothing (GA4's
    defaults, or settings that only differ where the shop's traffic does not look)."""
    dropped, parameter = measured(settings)
    parts = []
    if dropped:
        parts.append("without " + ", ".join(sorted(_EVENT_NAMES[c] for c in dropped)))
    if parameter != SEARCH_PARAMETER:
        parts.append(f"search pages ?{parameter}=")
    return "; ".join(parts)


def _drop_events(c: _Columns, codes: frozenset[int]) -> None:
    """Remove the events whose code is in ``codes`` (after every draw, so the rest stays as drawn)."""
    if not codes:
        return
    mask = (1 << _PACKED["ev"][1]) - 1
    keep = [k for k, code in enumerate(c.code) if code & mask not in codes]
    for name in _Columns.NAMES:
        column = getattr(c, name)
        setattr(c, name, [column[k] for k in keep])


class _UserState:
    __slots__ = (
        "affinity",
        "arm",
        "bi",
        "bo",
        "bp",
        "cart",
        "channel",
        "device",
        "dwell",
        "landing",
        "logged_in",
        "orders",
        "page",
        "prev_page",
        "revenue",
        "session_id",
        "session_number",
        "ts",
        "u",
    )

    def __init__(self, u: int, device: int, affinity: float) -> None:
        self.u, self.device, self.affinity = u, device, affinity
        self.session_number = 0
        self.session_id = 0
        self.channel = 0
        self.ts = 0
        self.page = -1
        self.prev_page = -1
        self.landing = False
        self.bp = 0
        self.bo = 0
        self.bi = 0
        self.dwell = 30.0
        self.cart: dict[int, int] = {}
        self.logged_in = False
        self.orders = 0
        self.revenue = 0.0
        self.arm = 0


# ---------------------------------------------------------------------------------------------
# DuckDB: compact columns -> export rows


def _values(rows: list[tuple[Any, ...]], names: str) -> str:
    """A VALUES list of Python tuples (small reference tables only)."""

    def literal(v: Any) -> str:
        if v is None:
            return "NULL"
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, (int, float)):
            return repr(v)
        return "'" + str(v).replace("'", "''") + "'"

    body = ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows)
    return f"(VALUES {body}) AS t({names})"


def _param(key: str, kind: str, expr: str) -> str:
    s = expr if kind == "s" else "NULL"
    i = expr if kind == "i" else "NULL"
    d = expr if kind == "d" else "NULL"
    return (
        f"CASE WHEN ({expr}) IS NOT NULL THEN {{'key': '{key}', 'value': {{'string_value': CAST({s} AS VARCHAR), "
        f"'int_value': CAST({i} AS BIGINT), 'float_value': CAST(NULL AS DOUBLE), "
        f"'double_value': CAST({d} AS DOUBLE)}}}} END"
    )


def _event_is(*names: int) -> str:
    return "g.ev IN (" + ", ".join(str(n) for n in names) + ")"


_ITEM_EVENTS = (
    E_VIEW_ITEM_LIST,
    E_VIEW_ITEM,
    E_WISHLIST,
    E_ADD_TO_CART,
    E_VIEW_CART,
    E_BEGIN_CHECKOUT,
    E_SHIPPING,
    E_PAYMENT,
    E_PURCHASE,
)


def _expand_sql() -> str:
    """The SELECT that turns the compact tables (_gen_events, _gen_users) into export rows."""
    not_null = lambda_sql("x", "x IS NOT NULL")
    params = [
        _param("ga_session_id", "i", "g.sid"),
        _param("ga_session_number", "i", "g.sn"),
        _param("page_location", "s", f"CASE WHEN g.pg >= 0 THEN 'https://{HOST}' || pg.path || COALESCE(here.query, '') END"),
        _param("page_title", "s", "pg.title"),
        _param(
            "page_referrer", "s", f"CASE WHEN g.prev >= 0 THEN 'https://{HOST}' || prev.path || COALESCE(there.query, '') END"
        ),
        _param("engaged_session_event", "i", "CASE WHEN NOT g.land THEN 1 END"),
        _param("session_engaged", "s", "CASE WHEN NOT g.land THEN '1' END"),
        _param("entrances", "i", f"CASE WHEN g.land AND {_event_is(E_PAGE_VIEW)} THEN 1 END"),
        _param("engagement_time_msec", "i", f"CASE WHEN {_event_is(E_ENGAGEMENT)} THEN g.n1 END"),
        _param("percent_scrolled", "i", f"CASE WHEN {_event_is(E_SCROLL)} THEN g.n1 END"),
        _param("value", "d", f"CASE WHEN g.flaw IS DISTINCT FROM {FLAW_VALUE_AS_TEXT} THEN g.val END"),
        _param("value", "s", f"CASE WHEN g.flaw = {FLAW_VALUE_AS_TEXT} THEN printf('%.2f', g.val) END"),
        _param("currency", "s", f"CASE WHEN g.val IS NOT NULL AND g.flaw IS DISTINCT FROM {FLAW_NO_CURRENCY} THEN 'USD' END"),
        _param("item_list_name", "s", f"CASE WHEN {_event_is(E_VIEW_ITEM_LIST)} THEN g.s1 END"),
        _param("search_term", "s", f"CASE WHEN {_event_is(E_SEARCH)} THEN g.s1 END"),
        _param("content_type", "s", f"CASE WHEN {_event_is(E_SELECT_CONTENT)} THEN g.s1 END"),
        _param("filter_name", "s", f"CASE WHEN {_event_is(E_SELECT_CONTENT)} AND g.s1 = 'filter' THEN g.s2 END"),
        _param("item_id", "s", f"CASE WHEN {_event_is(E_SELECT_CONTENT)} AND g.s1 = 'compare' THEN g.s2 END"),
        _param("promotion_name", "s", f"CASE WHEN {_event_is(E_SELECT_CONTENT)} AND g.s1 = 'banner' THEN g.s2 END"),
        _param("reviews_written", "i", f"CASE WHEN {_event_is(E_REVIEW)} THEN 1 END"),
        _param("rating", "i", f"CASE WHEN {_event_is(E_REVIEW)} THEN g.n1 END"),
        _param("method", "s", f"CASE WHEN {_event_is(E_SIGN_UP)} THEN g.s1 END"),
        _param("form_id", "s", f"CASE WHEN {_event_is(E_FORM_SUBMIT)} THEN g.s1 END"),
        _param("form_destination", "s", f"CASE WHEN {_event_is(E_FORM_SUBMIT)} THEN 'https://{HOST}' || g.s2 END"),
        _param("shipping_tier", "s", f"CASE WHEN {_event_is(E_SHIPPING)} THEN g.s1 END"),
        _param(
            "payment_type",
            "s",
            f"CASE WHEN {_event_is(E_PAYMENT)} THEN CASE WHEN g.flaw = {FLAW_BANK_TRANSFER} THEN 'bank_transfer' ELSE g.s1 END END",
        ),
        _param("cart_value", "d", f"CASE WHEN {_event_is(E_BEGIN_CHECKOUT)} THEN g.val END"),
        _param("transaction_id", "s", f"CASE WHEN {_event_is(E_PURCHASE)} THEN g.s1 END"),
        _param("coupon", "s", f"CASE WHEN {_event_is(E_PURCHASE)} THEN g.s2 END"),
        _param("shipping", "d", f"CASE WHEN {_event_is(E_PURCHASE)} THEN g.n1 / 100.0 END"),
        _param(
            "discount_amount",
            "d",
            f"CASE WHEN {_event_is(E_PURCHASE)} AND g.s2 = 'WELCOME10' THEN round(it.subtotal * 0.1, 2) END",
        ),
        _param(EXPERIMENT_VARIANT, "s", f"CASE WHEN g.flaw = {FLAW_EXPERIMENT_VARIANT} THEN g.s2 END"),
    ]
    event_names = ", ".join(f"'{n}'" for n in _EVENT_NAMES)
    arms = "[" + ", ".join(f"'{a}'" for a in PDP_TEST_ARMS) + "]"
    devices = _values(
        [
            (i, d.category, d.brand, d.model, d.os, d.os_version, d.browser, d.browser_version)
            for i, d in enumerate(_DEVICES)
        ],
        "i, category, brand, model, os, os_version, browser, browser_version",
    )
    geos = _values(
        [
            (g, r, geo[0], geo[1], geo[2], geo[3], region, city)
            for g, geo in enumerate(_GEOS)
            for r, (region, city) in enumerate(geo[5])
        ],
        "g, r, continent, sub_continent, country, language, region, city",
    )
    channels = _values(
        [(i, c.source, c.medium, c.campaign, c.campaign_id, c.term, c.content) for i, c in enumerate(_CHANNELS)],
        "i, source, medium, campaign, campaign_id, term, content",
    )
    pages = _values([(i, path, title) for i, (path, title) in enumerate(_PAGES)], "i, path, title")
    products = _values(
        [(p.index, p.item_id, p.name, p.category, p.price, p.color) for p in PRODUCTS],
        "i, item_id, item_name, item_category, price, color",
    )
    item_events = ", ".join(str(e) for e in _ITEM_EVENTS)
    fields = []
    for name, (shift, bits) in _PACKED.items():
        value = f"((code >> {shift}) & {(1 << bits) - 1})"
        if name in ("pg", "prev"):
            value += " - 1"
        elif name in ("login", "land"):
            value = f"({value} = 1)"
        fields.append(f"CAST({value} AS {'BOOLEAN' if name in ('login', 'land') else 'BIGINT'}) AS {name}")
    gen = (
        "    gen AS (\n        SELECT u, ts, sid, items, val, s1, s2, n1, flaw, "
        + ", ".join(fields)
        + "\n        FROM _gen_events\n    ),\n"
    )
    return f"""
    WITH
    devices AS (SELECT * FROM {devices}),
    geos AS (SELECT * FROM {geos}),
    channels AS (SELECT * FROM {channels}),
    pages AS (SELECT * FROM {pages}),
    products AS (SELECT * FROM {products}),
    names AS (SELECT [{event_names}] AS l),
{gen}    item_keys AS (
        SELECT DISTINCT items, ev FROM gen WHERE items IS NOT NULL
    ),
    parts AS (
        SELECT items, ev, unnest(string_split(items, ';')) AS part,
               unnest(range(1, len(string_split(items, ';')) + 1)) AS pos
        FROM item_keys
    ),
    item_rows AS (
        SELECT p.items AS key, p.ev, p.pos,
               pr.*,
               CAST(split_part(p.part, ':', 2) AS BIGINT) AS quantity,
               CAST(split_part(p.part, ':', 3) AS BIGINT) AS list_index
        FROM parts AS p JOIN products AS pr ON pr.i = CAST(split_part(p.part, ':', 1) AS BIGINT)
    ),
    item_lists AS (
        SELECT key, ev,
               sum(quantity) AS total_quantity,
               count(*) AS unique_items,
               sum(price * quantity) AS subtotal,
               list({{
                   'item_id': item_id, 'item_name': item_name, 'item_brand': '{BRAND}', 'item_variant': color,
                   'item_category': item_category, 'item_category2': NULL, 'item_category3': NULL,
                   'item_category4': NULL, 'item_category5': NULL,
                   'price_in_usd': price, 'price': price, 'quantity': quantity,
                   'item_revenue_in_usd': CASE WHEN ev = {E_PURCHASE} THEN round(price * quantity, 2) END,
                   'item_revenue': CASE WHEN ev = {E_PURCHASE} THEN round(price * quantity, 2) END,
                   'item_refund_in_usd': NULL, 'item_refund': NULL, 'coupon': NULL, 'affiliation': 'Online Store',
                   'location_id': NULL,
                   'item_list_id': CASE WHEN ev = {E_VIEW_ITEM_LIST} THEN lower(item_category) END,
                   'item_list_name': CASE WHEN ev = {E_VIEW_ITEM_LIST} THEN item_category END,
                   'item_list_index': CASE WHEN list_index > 0 THEN CAST(list_index AS VARCHAR) END,
                   'promotion_id': NULL, 'promotion_name': NULL, 'creative_name': NULL, 'creative_slot': NULL,
                   'item_params': [{{'key': 'item_color', 'value': {{'string_value': color, 'int_value': NULL,
                                    'float_value': NULL, 'double_value': NULL}}}}]
               }} ORDER BY pos) AS items
        FROM item_rows GROUP BY key, ev
    )
    SELECT
        strftime(make_timestamp(g.ts), '%Y%m%d') AS event_date,
        g.ts AS event_timestamp,
        names.l[g.ev + 1] AS event_name,
        list_filter([{", ".join(params)}], {not_null}) AS event_params,
        NULL AS event_previous_timestamp,
        CASE WHEN g.val IS NOT NULL AND {_event_is(E_PURCHASE, E_ADD_TO_CART, E_BEGIN_CHECKOUT)}
             THEN g.val END AS event_value_in_usd,
        CAST(u.u AS BIGINT) * 100000 + g.bp * 20 + g.bo AS event_bundle_sequence_id,
        NULL AS event_server_timestamp_offset,
        CASE WHEN g.login THEN u.user_id END AS user_id,
        u.pseudo AS user_pseudo_id,
        {{'analytics_storage': 'Yes', 'ads_storage': CASE WHEN u.u % 5 = 0 THEN 'No' ELSE 'Yes' END,
          'uses_transient_token': 'No'}} AS privacy_info,
        [{{'key': 'customer_tier', 'value': {{
            'string_value': ['new', 'returning', 'vip'][g.tier + 1], 'int_value': NULL, 'float_value': NULL,
            'double_value': NULL, 'set_timestamp_micros': u.first_ts}}}},
         {{'key': '{PDP_TEST_PROPERTY}', 'value': {{
            'string_value': {arms}[u.arm + 1], 'int_value': NULL, 'float_value': NULL,
            'double_value': NULL, 'set_timestamp_micros': u.first_ts}}}}] AS user_properties,
        u.first_ts AS user_first_touch_timestamp,
        {{'revenue': u.revenue, 'currency': 'USD'}} AS user_ltv,
        {{'category': d.category, 'mobile_brand_name': d.brand, 'mobile_model_name': d.model,
          'mobile_marketing_name': '(not set)', 'mobile_os_hardware_model': NULL, 'operating_system': d.os,
          'operating_system_version': d.os_version, 'vendor_id': NULL, 'advertising_id': NULL,
          'language': geo.language, 'is_limited_ad_tracking': 'No', 'time_zone_offset_seconds': NULL,
          'web_info': {{'browser': d.browser, 'browser_version': d.browser_version, 'hostname': '{HOST}'}}
        }} AS device,
        {{'continent': geo.continent, 'sub_continent': geo.sub_continent, 'country': geo.country,
          'region': geo.region, 'city': geo.city, 'metro': '(not set)'}} AS geo,
        NULL AS app_info,
        {{'name': ft.campaign, 'medium': ft.medium, 'source': ft.source}} AS traffic_source,
        '{STREAM_ID}' AS stream_id,
        'WEB' AS platform,
        {{'hostname': '{HOST}'}} AS event_dimensions,
        CASE WHEN g.ev IN ({item_events}) THEN {{
            'total_item_quantity': it.total_quantity,
            'purchase_revenue_in_usd': CASE WHEN {_event_is(E_PURCHASE)} THEN g.val END,
            'purchase_revenue': CASE WHEN {_event_is(E_PURCHASE)} THEN g.val END,
            'refund_value_in_usd': NULL, 'refund_value': NULL,
            'shipping_value_in_usd': CASE WHEN {_event_is(E_PURCHASE)} THEN g.n1 / 100.0 END,
            'shipping_value': CASE WHEN {_event_is(E_PURCHASE)} THEN g.n1 / 100.0 END,
            'tax_value_in_usd': CASE WHEN {_event_is(E_PURCHASE)} THEN round(g.val * 0.07, 2) END,
            'tax_value': CASE WHEN {_event_is(E_PURCHASE)} THEN round(g.val * 0.07, 2) END,
            'unique_items': it.unique_items,
            'transaction_id': CASE WHEN {_event_is(E_PURCHASE)} THEN g.s1 END}} END AS ecommerce,
        COALESCE(it.items, []) AS items,
        CASE WHEN g.land AND ch.source <> '(direct)' THEN {{
            'manual_campaign_id': ch.campaign_id,
            'manual_campaign_name': CASE WHEN ch.campaign NOT LIKE '(%' THEN ch.campaign END,
            'manual_source': ch.source, 'manual_medium': ch.medium, 'manual_term': ch.term,
            'manual_content': ch.content, 'manual_source_platform': NULL, 'manual_creative_format': NULL,
            'manual_marketing_tactic': NULL,
            'gclid': CASE WHEN ch.medium = 'cpc' THEN 'Cj0K' || md5(CAST(CAST(g.sid AS BIGINT) * 7 + u.u AS VARCHAR))[:20] END,
            'dclid': NULL, 'srsltid': NULL}} END AS collected_traffic_source,
        {{'manual_campaign': {{'campaign_id': ch.campaign_id, 'campaign_name': ch.campaign, 'source': ch.source,
                               'medium': ch.medium, 'term': ch.term, 'content': ch.content,
                               'source_platform': CASE WHEN ch.medium = 'cpc' THEN 'Google Ads' END,
                               'creative_format': NULL, 'marketing_tactic': NULL}},
          'google_ads_campaign': CASE WHEN ch.medium = 'cpc' THEN {{
              'customer_id': '5550001234', 'account_name': '{BRAND} Shop', 'campaign_id': ch.campaign_id,
              'campaign_name': ch.campaign, 'ad_group_id': ch.campaign_id || '01',
              'ad_group_name': ch.campaign || ' - main'}} END
        }} AS session_traffic_source_last_click,
        TRUE AS is_active_user,
        g.bi AS batch_event_index,
        g.bp AS batch_page_id,
        g.bo AS batch_ordering_id
    FROM gen AS g
    JOIN _gen_users AS u ON u.u = g.u
    JOIN devices AS d ON d.i = u.device
    JOIN geos AS geo ON geo.g = u.geo AND geo.r = u.region
    JOIN channels AS ch ON ch.i = g.ch
    JOIN channels AS ft ON ft.i = u.first_channel
    LEFT JOIN pages AS pg ON pg.i = g.pg
    LEFT JOIN pages AS prev ON prev.i = g.prev
    LEFT JOIN item_lists AS it ON it.key = g.items AND it.ev = g.ev
    LEFT JOIN _gen_search AS here ON g.pg = {P_SEARCH} AND here.u = g.u AND here.bp = g.bp
    LEFT JOIN _gen_search AS there ON g.prev = {P_SEARCH} AND there.u = g.u AND there.bp = g.bp - 1
    CROSS JOIN names
    """


def generate(
    store: EventStore,
    start: date,
    end: date,
    *,
    users: int = 5000,
    seed: int = 1,
    enhanced_measurement: EnhancedMeasurement | None = None,
) -> GenerationResult:
    """Add the shop traffic of ``users`` people over ``start..end`` (inclusive) to ``store``.

    Deterministic: the same arguments add the same rows. Rows already stored are skipped
    (:meth:`EventStore.insert_select`), so generating the same traffic twice adds nothing.

    ``enhanced_measurement``: the web stream's settings (None, or a setting left None: GA4's
    default for a new web stream). An event GA4 collects only through a setting that is off is
    not generated (``scroll`` without scrolls...); every other row is the same as with the
    settings on. The search page's URL carries the term in the first ``search_query_parameter``
    (``/search?q=mug``).
    """
    if end < start:
        raise ValueError(f"the end date {end} is before the start date {start}")
    if users < 0:
        raise ValueError(f"users must be 0 or more, got {users}")
    began = time.perf_counter()
    simulation = _Simulation(start, end, users, seed)
    simulation.run()
    _add_incidental_events(simulation, seed)
    _add_known_violations(simulation, seed)
    dropped, parameter = measured(enhanced_measurement)
    _drop_events(simulation.c, dropped)
    c = simulation.c
    con = store.connection
    con.execute("CREATE OR REPLACE TEMP TABLE _gen_search (u BIGINT, bp BIGINT, query VARCHAR)")
    if simulation.searches:
        con.execute(
            "INSERT INTO _gen_search SELECT unnest($u), unnest($bp), unnest($query)",
            {
                "u": [u for u, _, _ in simulation.searches],
                "bp": [bp for _, bp, _ in simulation.searches],
                "query": [f"?{quote_plus(parameter)}={quote_plus(term)}" for _, _, term in simulation.searches],
            },
        )
    columns = c.as_parameters()
    names = _Columns.NAMES
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _gen_events AS SELECT "
        + ", ".join(f"unnest(${name}) AS {name}" for name in names),
        columns,
    )
    user_columns = ("u", "pseudo", "first_ts", "device", "geo", "region", "first_channel", "user_id", "revenue", "arm")
    user_values = {name: [row[i] for row in simulation.user_rows] for i, name in enumerate(user_columns)}
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _gen_users AS SELECT "
        + ", ".join(f"unnest(${name}) AS {name}" for name in user_columns),
        user_values,
    )
    try:
        if len(c):
            loaded = store.insert_select(_expand_sql(), unique=True)
        else:
            loaded = None
    finally:
        con.execute("DROP TABLE IF EXISTS _gen_events")
        con.execute("DROP TABLE IF EXISTS _gen_users")
        con.execute("DROP TABLE IF EXISTS _gen_search")
    return GenerationResult(
        users=len(simulation.user_rows),
        sessions=simulation.sessions,
        events=len(c),
        inserted=loaded.inserted if loaded else 0,
        seconds=time.perf_counter() - began,
    )
