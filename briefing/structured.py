"""schema.org structured data for search engines and link previews, as plain dicts.

Templates print them with Jinja's ``tojson``, which escapes ``<``, ``>`` and ``&``, so a
headline containing ``</script>`` stays inside the JSON string.
"""

from __future__ import annotations

from typing import Any

from briefing.model import Article, Edition, Site
from briefing.theme import isodate

Data = dict[str, Any]


def organization(site: Site) -> Data:
    return {
        "@type": "Organization",
        "name": site.config.title,
        "url": site.links.absolute(""),
    }


def website(site: Site) -> list[Data]:
    """The home page: the site and who publishes it."""
    return [
        {
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": site.config.title,
            "description": site.config.description,
            "url": site.links.absolute(""),
            "inLanguage": site.config.language,
            "publisher": organization(site),
        },
        {"@context": "https://schema.org", **organization(site)},
    ]


def news_article(site: Site, article: Article) -> Data:
    assert article.path is not None
    url = site.links.absolute(article.path)
    data: Data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "datePublished": isodate(article.published),
        "dateModified": isodate(article.modified),
        "inLanguage": site.config.language,
        "isAccessibleForFree": True,
        "publisher": organization(site),
    }
    if article.summary:
        data["description"] = article.summary
    if article.byline:
        data["author"] = [{"@type": "Person", "name": name} for name in article.byline]
    if article.dateline:
        data["dateline"] = article.dateline
    if article.section:
        data["articleSection"] = article.section.name
    if article.tags:
        data["keywords"] = [tag.name for tag in article.tags]
    if article.image is not None:
        image: Data = {"@type": "ImageObject", "url": absolute(site, article.image.url)}
        if article.image.width:
            image |= {"width": article.image.width, "height": article.image.height}
        if article.image.caption:
            image["caption"] = article.image.caption
        if article.image.credit:
            image["creditText"] = article.image.credit
        if article.image.creator:
            image["creator"] = {"@type": "Person", "name": article.image.creator}
        if article.image.license:
            image["license"] = article.image.license
        data["image"] = [image]
    if article.copyright:
        data["copyrightNotice"] = article.copyright
    if article.source is not None:
        data["isBasedOn"] = article.source.url
        data["copyrightHolder"] = {"@type": "Organization", "name": article.source.name}
    else:
        data["copyrightHolder"] = organization(site)
    return data


def edition_list(site: Site, edition: Edition, title: str) -> Data:
    """An edition page is a collection of its stories, in edition order."""
    return {
        "@context": "https://schema.org",
        "@type": "CollectionPage",
        "name": title,
        "url": site.links.absolute(edition.path),
        "datePublished": edition.day.isoformat(),
        "isPartOf": {"@type": "WebSite", "name": site.config.title, "url": site.links.absolute("")},
        "mainEntity": {
            "@type": "ItemList",
            "itemListOrder": "https://schema.org/ItemListOrderAscending",
            "numberOfItems": len(edition.articles),
            "itemListElement": [
                {
                    "@type": "ListItem",
                    "position": position,
                    "url": absolute(site, article.url),
                    "name": article.title,
                }
                for position, article in enumerate(edition.articles, 1)
            ],
        },
    }


def absolute(site: Site, url: str) -> str:
    """A link as pages carry it (root-relative, or already absolute) made absolute."""
    return site.links.origin + url if url.startswith("/") else url
