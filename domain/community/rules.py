"""What a post or comment may contain."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlparse

from domain.community.errors import BannedContent
from domain.errors import BadUserInput, FieldError

POST_MAX = 2000
COMMENT_MAX = 500
IMAGES_MAX = 9


def clean_text(text: str, field: str, limit: int) -> str:
    body = unicodedata.normalize("NFC", text or "").strip()
    if not body:
        raise BadUserInput.for_field(field, "Write something first.")
    if len(body) > limit:
        raise BadUserInput.for_field(field, f"At most {limit} characters.")
    return body


def check_images(urls: list[str]) -> list[str]:
    if len(urls) > IMAGES_MAX:
        raise BadUserInput.for_field("imageUrls", f"At most {IMAGES_MAX} images.")
    errors = []
    for url in urls:
        try:
            parsed = urlparse(url)
        except ValueError:
            parsed = None
        if parsed is None or parsed.scheme != "https" or not parsed.netloc or len(url) > 500:
            errors.append(FieldError("imageUrls", f"Not an https image URL: {url[:60]}"))
    if errors:
        raise BadUserInput("Some image URLs are invalid.", errors)
    return urls


def check_banned(text: str, banned: list[str]) -> None:
    lowered = text.casefold()
    hit = next((word for word in banned if word and word.casefold() in lowered), None)
    if hit is not None:
        raise BannedContent("This text contains words the community does not allow.")
