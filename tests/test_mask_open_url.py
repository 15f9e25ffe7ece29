"""Upload paint from a URL, below the window: what the fetched bytes must be, and the messages
for everything that is not usable (nothing reaches the editor then)."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image

from studio.api.errors import NetworkError, NotFoundError
from studio.ui.mask.open_url import SourceImageError, decode_source, fetch_source


def png(w: int, h: int, mode: str = "RGB", colour=(200, 40, 90)) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (w, h), colour).save(buf, format="PNG")
    return buf.getvalue()


def test_decodes_to_a_qimage_of_the_full_size():
    img = decode_source(png(640, 512))
    assert (img.width(), img.height()) == (640, 512)
    c = img.pixelColor(10, 10)
    assert (c.red(), c.green(), c.blue()) == (200, 40, 90)


@pytest.mark.parametrize("size", [(499, 800), (800, 499), (4097, 600)])
def test_size_outside_the_api_range_is_refused(size):
    with pytest.raises(SourceImageError, match=r"500–4096 px"):
        decode_source(png(*size, mode="L", colour=0))


@pytest.mark.parametrize("data", [b"", b"<html>not found</html>", png(600, 600)[:200]])
def test_bytes_that_are_not_an_image_are_refused(data):
    with pytest.raises(SourceImageError, match="did not return an image"):
        decode_source(data)


def test_fetch_errors_and_bad_urls_become_messages():
    calls: list[str] = []

    async def failing(url: str) -> bytes:
        calls.append(url)
        raise NotFoundError("not found", status=404) if "missing" in url else NetworkError("connection refused")

    async def body():
        out = []
        for url in ("ftp://host/a.png", "https://host/missing.png", "https://down/a.png"):
            with pytest.raises(SourceImageError) as caught:
                await fetch_source(failing, url)
            out.append(str(caught.value))
        return out

    bad, missing, down = asyncio.run(body())
    assert bad.startswith("Invalid image URL") and calls == ["https://host/missing.png", "https://down/a.png"]
    assert missing.startswith("Could not fetch the image:") and down.startswith("Could not fetch the image:")
