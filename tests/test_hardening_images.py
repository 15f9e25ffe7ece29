"""Decoding within bounds (studio.store.images, the grid's loader): the pixels an image declares
are checked before decoding, huge ones are decoded reduced for display, every decode holds its
bytes against one budget, and the decode cache counts every byte it keeps."""

from __future__ import annotations

import io
import threading
import time

import pytest
from PIL import Image

from hostile import black_png, pixel_bomb
from studio.store import images
from studio.store.images import DecodeBudget, TooManyPixelsError
from studio.ui.grid.loader import DecodedImage, ImageDecodeError, _Cache, _decode


def _png(width: int, height: int, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height)).save(out, "PNG")
    return out.getvalue()


def _jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 20, 30)).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize("size", [(100_000, 100_000), (12_289, 10), (10, 20_000), (12_288, 12_289)])
def test_an_image_declaring_more_than_the_largest_output_is_refused_unread(size):
    with pytest.raises(TooManyPixelsError) as caught:
        images.check_pixels(*size)
    assert (caught.value.width, caught.value.height) == size
    images.check_pixels(12_288, 12_288)  # the largest documented output itself is fine


def test_the_loader_refuses_a_pixel_bomb_with_words_and_decodes_nothing():
    budget_before = images.DECODES.peak
    with pytest.raises(ImageDecodeError) as caught:
        _decode(pixel_bomb())
    assert caught.value.too_large is not None
    assert "declares 100,000 × 100,000 pixels" in str(caught.value)
    assert images.DECODES.peak == budget_before  # nothing was held for it


def test_a_huge_image_is_decoded_reduced_and_knows_its_own_size():
    decoded = images.decode(black_png(9_000, 6_000))
    assert (decoded.width, decoded.height) == (9_000, 6_000)
    assert max(decoded.image.size) <= 4096 and decoded.reduced
    assert decoded.image.size == (3_000, 2_000)  # a whole factor (3): each pixel the mean of 3×3


def test_a_jpeg_is_reduced_by_its_decoder(monkeypatch):
    held = []
    budget = DecodeBudget()
    original = budget.hold

    def spy(nbytes):
        held.append(nbytes)
        return original(nbytes)

    monkeypatch.setattr(budget, "hold", spy)
    decoded = images.decode(_jpeg(8_192, 8_192), budget=budget)
    assert max(decoded.image.size) <= 4096
    assert held[0] <= 4096 * 4096 * 4 * 2  # draft decoded at half size, never the full 256 MiB


def test_small_images_stay_exact():
    decoded = images.decode(_png(2048, 1536))
    assert decoded.image.size == (2048, 1536) and not decoded.reduced


def test_decodes_larger_than_the_budget_run_alone():
    budget = DecodeBudget(max_bytes=100)
    inside: list[int] = []
    seen_with_the_big_one: list[int] = []
    sizes = [150, 80, 30, 30, 80, 30, 150, 30]

    def work(n: int) -> None:
        with budget.hold(sizes[n]):
            inside.append(n)
            if any(sizes[m] == 150 for m in inside):
                seen_with_the_big_one.append(len(inside))
            time.sleep(0.02)
            inside.remove(n)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(sizes))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert budget.held == 0
    assert budget.peak <= 150  # within the budget, or one decode larger than it, alone
    assert seen_with_the_big_one and set(seen_with_the_big_one) == {1}


def test_the_cache_counts_every_byte_and_keeps_nothing_larger_than_itself():
    def decoded(w: int, h: int) -> DecodedImage:
        return DecodedImage(Image.new("RGB", (w, h)), w, h)

    cache = _Cache(max_bytes=3 * 100 * 100 * 4)
    for key in "abc":
        cache.put(key, decoded(100, 100))  # RGB: 4 bytes a pixel in Pillow, 40,000 each
    assert cache.nbytes == 3 * 40_000 and len(cache) == 3
    cache.put("d", decoded(100, 100))
    assert cache.get("a") is None and len(cache) == 3 and cache.nbytes <= cache.max_bytes
    cache.put("huge", decoded(1000, 1000))  # 4 MB, more than the whole cache
    assert cache.get("huge") is None and cache.nbytes <= cache.max_bytes and len(cache) == 3
