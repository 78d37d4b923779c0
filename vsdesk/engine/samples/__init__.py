"""The sample catalogs vsdesk ships or fetches, and the Fashion-MNIST loader.

Three samples, each a plain folder that indexes like any user folder (see ``sample_folder``):

- ``clothing``: a few hundred downscaled photos of the Clothing Dataset (CC0), shipped in
  ``resources/samples/clothing`` with a ``labels.csv`` (made by ``scripts/make_clothing_sample.py``).
- ``fashion-mnist``: the 10,000-image Fashion-MNIST test set (MIT, Zalando SE), shipped as the two
  original idx ``.gz`` files in ``resources/samples/fashion-mnist`` and written out on first use
  as PNGs in class subfolders under the cache directory.
- ``style-artworks``: 32 paintings (cubism / impressionism) from the TensorHouse data repository.
  They are not redistributable, so they are copied on first use from a local mirror folder
  (``VSDESK_STYLE_MIRROR``) or downloaded from GitHub, every file checked against the SHA-256
  recorded below.

A sample folder in the cache is checked each time it is asked for, and files deleted or damaged
since are written again (Fashion-MNIST: by size and mtime against the record ``.sizes.json``,
then byte for byte; artworks: by SHA-256), so they are indexed again rather than listed as
skipped for good.

``load_fashion_mnist(split)`` returns the arrays (the VAE trains on the 60,000 training images):
it reads a local copy (``VSDESK_FASHION_MNIST_DIR``, Debian's ``/usr/share/datasets/fashion-mnist``,
the shipped test set, an earlier download) or downloads from the upstream URLs, with MD5 checks.

Modules: ``_sample_folders`` (the samples, their catalogs and folders, made and repaired),
``_sample_files`` (the files of the Fashion-MNIST and artworks folders), ``_fashion_mnist`` (the
data set's arrays), ``_download`` (a checked download, and the errors of sample data).
"""

from __future__ import annotations

from vsdesk.engine.samples._download import SampleDataError, SampleOffline
from vsdesk.engine.samples._fashion_mnist import ENV_FASHION_MNIST, FASHION_MNIST_CLASSES, load_fashion_mnist
from vsdesk.engine.samples._sample_files import STYLE_ARTWORKS
from vsdesk.engine.samples._sample_folders import (
    OTHER_INSTALL_WORDS,
    SAMPLE_CATALOGS,
    is_sample,
    other_install_sample,
    sample_catalog_name,
    sample_folder,
)

__all__ = [
    "ENV_FASHION_MNIST",
    "OTHER_INSTALL_WORDS",
    "FASHION_MNIST_CLASSES",
    "SAMPLE_CATALOGS",
    "STYLE_ARTWORKS",
    "SampleDataError",
    "SampleOffline",
    "load_fashion_mnist",
    "sample_folder",
    "is_sample",
    "other_install_sample",
    "sample_catalog_name",
]
