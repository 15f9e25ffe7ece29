"""Two-way editing: Params.from_text and set_param keep the rest of the text byte-identical."""

from __future__ import annotations

import pytest

from studio.prompt.params import Params, set_param

BASE = "https://a.png  a castle,  on a cliff::2 fog  --ar 1:1   --stylize 100 --tile --no people, cars"


def test_reads_every_panel_value():
    text = ("https://a.png castle --ar 16:9 --s 250 --c 10 --w 5 --q 2 --seed 42 --stop 80 --tile "
            "--style raw --exp 20 --turbo --iw 1.5 --sw 300 --sv 4 --sref https://s.png 777 "
            "--cref https://c.png --cw 50 --no people, cars --p abc --v 7")
    p = Params.from_text(text)
    assert (p.model, p.aspect, p.stylize, p.chaos, p.weird, p.quality) == ("7", "16:9", 250, 10, 5, 2)
    assert (p.seed, p.stop, p.tile, p.raw, p.exp, p.speed) == (42, 80, True, True, 20, "turbo")
    assert (p.iw, p.sw, p.sv) == (1.5, 300, 4)
    assert p.sref == ["https://s.png", "777"] and p.cref == ["https://c.png"] and p.cw == 50
    assert p.no == "people, cars" and p.p == ["abc"] and p.image_urls == ["https://a.png"]
    assert not p.draft and not p.hd and p.oref == []


def test_defaults_and_model():
    p = Params.from_text("castle")
    assert p.model == "7" and p.aspect is None and p.speed is None and p.p is None
    assert Params.from_text("castle", default_model="8.1").model == "8.1"
    assert Params.from_text("castle --niji").model == "niji6"
    assert Params.from_text("castle --exp").exp is True


def test_rewrites_only_the_value_span():
    out = set_param(BASE, "aspect", "16:9")
    assert out == BASE.replace("--ar 1:1", "--ar 16:9")
    out = set_param(BASE, "stylize", 250)
    assert out == BASE.replace("--stylize 100", "--stylize 250")  # keeps the user's spelling
    out = set_param(BASE, "no", "dogs")
    assert out == BASE.replace("--no people, cars", "--no dogs")


def test_removal_takes_one_adjacent_space():
    assert set_param(BASE, "tile", False) == BASE.replace(" --tile", "")
    assert set_param(BASE, "stylize", None) == BASE.replace(" --stylize 100", "")
    assert set_param("--tile castle", "tile", None) == "castle"


def test_adding_appends_at_the_end():
    assert set_param(BASE, "chaos", 20) == BASE + " --c 20"
    assert set_param(BASE, "raw", True) == BASE + " --raw"
    assert set_param("", "aspect", "2:3") == "--ar 2:3"
    assert set_param("castle ", "seed", 7) == "castle --seed 7"


def test_model_speed_and_raw():
    assert set_param("castle --v 7 --s 5", "model", "8.1") == "castle --v 8.1 --s 5"
    assert set_param("castle --v 7 --s 5", "model", "niji6") == "castle --niji 6 --s 5"
    assert set_param("castle --niji 6", "model", "v6.1") == "castle --v 6.1"
    assert set_param("castle", "model", "8") == "castle --v 8"
    assert set_param("castle --v 8", "model", None) == "castle"
    assert set_param("castle --fast --s 5", "speed", "turbo") == "castle --turbo --s 5"
    assert set_param("castle --turbo", "speed", None) == "castle"
    assert set_param("castle --style raw --s 5", "raw", False) == "castle --s 5"
    assert set_param("castle --raw", "raw", True) == "castle --raw"


def test_lists_and_flag_spellings():
    out = set_param("castle --sref https://a.png", "sref", ["https://b.png", "123"])
    assert out == "castle --sref https://b.png 123"
    assert Params.from_text(out).sref == ["https://b.png", "123"]
    assert set_param("castle --sref https://a.png", "sref", []) == "castle"
    assert set_param("castle", "--ar", "3:2") == "castle --ar 3:2"
    assert set_param("castle --q 1", "quality", 0.5) == "castle --q 0.5"
    assert set_param("castle", "turbo", True) == "castle --turbo"
    assert set_param("castle", "p", []) == "castle --p"


def test_em_dash_and_attached_values_round_trip():
    assert set_param("castle \u2014ar 1:1", "aspect", "4:3") == "castle \u2014ar 4:3"
    assert set_param("castle --v7", "model", "6.1") == "castle --v6.1"
    out = set_param("castle --ar:1", "aspect", "4:3")
    assert Params.from_text(out).aspect == "4:3"


def test_duplicates_rewrite_the_effective_last_one():
    out = set_param("castle --s 1 --s 2", "stylize", 3)
    assert out == "castle --s 1 --s 3"
    assert set_param("castle --s 1 --s 2", "stylize", None) == "castle"


@pytest.mark.parametrize("name,value", [("no", "a --ar 1:1"), ("aspect", "16 : 9"),
                                        ("stylize", "lots"), ("model", "v5"), ("speed", "warp"),
                                        ("bogus", 1), ("sref", ["a b"])])
def test_values_that_cannot_round_trip_raise(name, value):
    with pytest.raises(ValueError):
        set_param("castle", name, value)
