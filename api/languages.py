"""Which catalogue language a caller reads: from Accept-Language (HTTP) or connection_params
(websocket), else the program default (zh-CN)."""

from __future__ import annotations

from domain.messages import DEFAULT_LANGUAGE, EN, LANGUAGES, ZH_CN


def _supported(tag: str) -> str | None:
    tag = tag.strip().lower()
    if tag in ("*", ""):
        return None
    # Any Chinese tag reads the zh-CN catalogue: it is the only Chinese one.
    if tag == "zh" or tag.startswith("zh-"):
        return ZH_CN
    if tag == "en" or tag.startswith("en-"):
        return EN
    return None


def pick_language(accept_language: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The best supported language by q-value (RFC 9110 §12.5.4); ties keep the caller's order."""
    if not accept_language:
        return default
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:20]):
        tag, *params = part.split(";")
        quality = 1.0
        for param in params:
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = _supported(tag)
        if language is not None and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else default


assert DEFAULT_LANGUAGE in LANGUAGES
