"""GA4's source categories: which traffic sources the default channel group counts as search,
social, shopping or video sites.

Google publishes the list beside the "[GA4] Default channel group" article
(https://support.google.com/analytics/answer/9756891, "source categories"); the rules "Source
matches a list of search sites" etc. mean an exact, case-insensitive match against it. This is
the part of that list for the sources a site commonly sees (the big search engines, networks,
marketplaces and video sites, with the referrer host names their apps send: ``l.facebook.com``,
``m.youtube.com``...), not all of its several hundred entries: a source outside it falls to the
next rule (usually Referral), as in GA4 for a source Google does not list
(docs/ga4-api-facts.md, "Default channel group").

Notable categories a user would otherwise get wrong: YouTube, Vimeo and Twitch are *video*
sites, not social; ``t.co``, ``lnkd.in`` and ``bit.ly`` are social.
"""

from __future__ import annotations

SEARCH_SITES: frozenset[str] = frozenset(
    """
    google google.com search.google.com cse.google.com news.google.com mail.google.com googlemybusiness google-play
    bing cn.bing.com msn msn.com ntp.msn.com yahoo yahoo.com yahoo.co.jp search.yahoo.com
    us.search.yahoo.com uk.search.yahoo.com de.search.yahoo.com fr.search.yahoo.com es.search.yahoo.com
    it.search.yahoo.com ca.search.yahoo.com au.search.yahoo.com
    duckduckgo ecosia.org baidu m.baidu.com yandex yandex.ru yandex.com yandex.com.tr yandex.ua yandex.by
    naver naver.com m.naver.com m.search.naver.com daum daum.net seznam seznam.cz sogou sogou.com so.com
    360.cn qwant qwant.com lite.qwant.com ask aol search.aol.com startsiden startsiden.no onet onet.pl
    rambler rambler.ru lycos dogpile dogpile.com excite.com avg
    """.split()
)

SOCIAL_SITES: frozenset[str] = frozenset(
    """
    facebook facebook.com m.facebook.com l.facebook.com lm.facebook.com web.facebook.com
    touch.facebook.com mobile.facebook.com business.facebook.com apps.facebook.com fb fb.me
    instagram instagram.com l.instagram.com ig messenger messenger.com l.messenger.com
    linkedin linkedin.com lnkd.in twitter twitter.com t.co tweetdeck pinterest pinterest.com
    pinterest.co.uk pinterest.de pinterest.fr pinterest.ca pinterest.com.au reddit reddit.com
    old.reddit.com out.reddit.com amp.reddit.com tiktok tiktok.com snapchat snapchat.com tumblr tumblr.com
    quora quora.com whatsapp whatsapp.com wechat weibo weibo.com vk.com m.vk.com line line.me t.me
    medium.com news.ycombinator.com stackoverflow stackoverflow.com flipboard flipboard.com
    meetup meetup.com yelp yelp.com tripadvisor tripadvisor.com blogger blogger.com wordpress
    wordpress.com xing xing.com bit.ly goo.gl tinyurl tinyurl.com discover.hubpages.com
    """.split()
)

SHOPPING_SITES: frozenset[str] = frozenset(
    ["google shopping"]
    + """
    igshopping amazon amazon.com amazon.co.uk ebay ebay.com ebay.co.uk ebay.de etsy etsy.com
    alibaba alibaba.com m.alibaba.com walmart walmart.com shopify shopify.com apps.shopify.com
    checkout.shopify.com shop.app stripe stripe.com checkout.stripe.com mercadolibre mercadolibre.com
    shopping.yahoo.com shopping.naver.com m.shopping.naver.com shopzilla shopzilla.com
    """.split()
)

VIDEO_SITES: frozenset[str] = frozenset(
    """
    youtube youtube.com m.youtube.com music.youtube.com vimeo vimeo.com player.vimeo.com twitch twitch.tv
    m.twitch.tv dailymotion dailymotion.com netflix netflix.com hulu hulu.com disneyplus disneyplus.com
    wistia wistia.com fast.wistia.net ted ted.com youku youku.com iqiyi iqiyi.com crackle crackle.com
    """.split()
)

__all__ = ["SEARCH_SITES", "SHOPPING_SITES", "SOCIAL_SITES", "VIDEO_SITES"]
