"""The product classifier: Lite0's frozen trunk, its fine-tuned top blocks, and two heads.

Saved models hold only what training changed (the top blocks and the heads, a Keras weights
file) plus JSON metadata; the frozen trunk always comes from the EfficientNet-Lite0 entry of the
model store. So a model is small (the shipped one is a few MB) and says which backbone it needs.

Layout of a saved model folder::

    product.weights.h5   Keras weights of ``build_head_model(meta)`` (the first member)
    product-2.weights.h5 the second member's (when ``meta.members`` is 2), and so on
    product.json         metadata: classes, backbone, input size, metrics, data fingerprint ...
    baseline.npz         the frozen-feature logistic regression `vsdesk eval product` compares with
    train-photos.npy     64-bit digests of the training photos (eval leaves copies of them out)
    train-looks.npy      their looks (``near_copy``): eval leaves re-saved copies out too
    familiar.npz         what tells a photo unlike the training photos (``familiarity``)
    fast-<key>.tflite    a member's int8 flatbuffer (``fast.keep_with_model``; exported models)

A model of several members is an ensemble of fine-tuned tops on the same frozen trunk: the
first gives the search vectors (indexing runs it alone), all of them the class probabilities.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vsdesk.engine import paths
from vsdesk.engine.files import atomic_path, atomic_save_npy, atomic_savez, atomic_write_json
from vsdesk.engine.models.spec import ModelSpec, ResourceSource

if TYPE_CHECKING:  # pragma: no cover
    import keras
    import numpy as np

WEIGHTS_FILE = "product.weights.h5"
META_FILE = "product.json"
BASELINE_FILE = "baseline.npz"  # frozen-feature logistic regression, for `vsdesk eval product`
#: 64-bit digests of the training photos' bytes: `vsdesk eval product` leaves copies of them out.
TRAIN_PHOTOS_FILE = "train-photos.npy"
#: The training photos' looks (``near_copy.looks``): re-saved copies of them are left out too.
TRAIN_LOOKS_FILE = "train-looks.npy"
#: The shipped default model, relative to ``resources_dir()``.
DEFAULT_DIR = "models/product"
FORMAT_VERSION = 1
EMBEDDING_LAYER = "embedding"


class ProductModelError(ValueError):
    """A product model folder is missing, incomplete or not compatible."""


@dataclass
class ProductMeta:
    classes: list[str]
    backbone: str = "efficientnet-lite0"
    backbone_version: str = "1"
    size: int = 224
    first_top_block: int = 15
    trunk_channels: int = 192
    has_kids: bool = True
    format: int = FORMAT_VERSION
    name: str = "product"
    data_fingerprint: str = ""
    data: str = ""
    #: ``data`` as an absolute path: a model in the store is evaluated from any folder later
    data_absolute: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    test_groups: list[str] = field(default_factory=list)  # held-out contributors
    train_groups: list[str] = field(default_factory=list)  # contributors whose photos trained it
    members: int = 1  # fine-tuned tops whose probabilities are averaged (weights_file(i))
    #: a model trained on every contributor (``--retrain-on-all``) names the model of the same recipe
    #: trained with contributors held out, a sibling folder: ``vsdesk eval product`` scores that one
    #: on the model's own data, where nothing is unseen by this one
    heldout_twin: str = ""
    #: copied in by `vsdesk models import` (trained elsewhere): `models list` says "imported"
    imported: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ProductMeta":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        meta = cls(**known)
        if meta.format > FORMAT_VERSION:
            raise ProductModelError(f"product model format {meta.format} is newer than this vsdesk understands")
        if not meta.classes:
            raise ProductModelError("product model metadata lists no classes")
        if not isinstance(meta.members, int) or not 1 <= meta.members <= 16:
            raise ProductModelError(f"product model metadata: bad number of members {meta.members!r}")
        twin = meta.heldout_twin
        if not isinstance(twin, str) or "/" in twin or "\\" in twin or twin.startswith("."):
            raise ProductModelError(f"product model metadata: the held-out twin must be a sibling folder's name, "
                                    f"not {twin!r}")
        return meta


def weights_file(member: int = 0) -> str:
    """The weights file of a member: ``product.weights.h5``, then ``product-2.weights.h5`` ..."""
    return WEIGHTS_FILE if member == 0 else f"product-{member + 1}.weights.h5"


def build_head_model(meta: ProductMeta) -> "keras.Model":
    """Trunk features -> {"category": class probabilities, "kids": p, "embedding": (n, 1280)}.

    The embedding is the pooled top features, L2-normalised, and both heads read it: so a stored
    catalog vector alone gives the item's class (``ProductEmbedder.classify_vectors``), which
    lets search keep to the predicted class and the t-SNE colour by it without the images.
    """
    import keras
    from keras import layers

    from vsdesk.engine.product import backbones

    top = backbones.get(meta.backbone).build_top(meta.first_top_block, meta.trunk_channels)
    pooled = layers.UnitNormalization(name=EMBEDDING_LAYER)(top.output)
    # No dropout here: the heads start as logistic regressions on standardised features, folded
    # into (large) Dense weights; dropping inputs would shift every logit by the dropped means.
    outputs = {
        "category": layers.Dense(len(meta.classes), activation="softmax", name="category")(pooled),
        "embedding": pooled,
    }
    if meta.has_kids:
        outputs["kids"] = layers.Dense(1, activation="sigmoid", name="kids")(pooled)
    return keras.Model(top.input, outputs, name="product_head")


def default_dir() -> Path:
    return paths.resources_dir() / DEFAULT_DIR


#: The files a model folder may hold besides its members' weights (copied by ``import_folder``).
OPTIONAL_FILES = (BASELINE_FILE, TRAIN_PHOTOS_FILE, TRAIN_LOOKS_FILE, "familiar.npz")


def read_meta(folder: Path) -> ProductMeta:
    try:
        return ProductMeta.from_json(json.loads((folder / META_FILE).read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise ProductModelError(f"no product model in {folder} (train one with `vsdesk train product`)") from None
    except (OSError, ValueError, TypeError) as exc:
        raise ProductModelError(f"{folder / META_FILE}: unreadable product model metadata ({exc})") from None


def load_head(folder: Path, member: int = 0) -> tuple["keras.Model", ProductMeta]:
    meta = read_meta(folder)
    if not 0 <= member < meta.members:
        raise ProductModelError(f"{folder} has {meta.members} member(s), not {member + 1}")
    model = build_head_model(meta)
    weights = folder / weights_file(member)
    if not weights.is_file():
        raise ProductModelError(f"{weights} is missing")
    try:
        model.load_weights(weights)
    except (OSError, ValueError) as exc:
        raise ProductModelError(f"{weights}: cannot load the weights ({exc})") from None
    return model, meta


def save(folder: Path, model: "keras.Model", meta: ProductMeta, float16: bool = False,
         members: list | None = None) -> None:
    """Write weights + metadata atomically (each file via a temp file and ``os.replace``).

    ``members``: each member's weights (``model.get_weights()`` lists); default the model's own.
    """
    folder.mkdir(parents=True, exist_ok=True)
    originals = model.get_weights()
    members = members or [originals]
    meta.members = len(members)
    files = [weights_file(i) for i in range(len(members))]
    try:
        for weights, file in zip(members, files):
            model.set_weights(weights)
            if float16:
                _save_weights_float16(model, folder / file)
            else:
                with atomic_path(folder / file) as tmp:
                    model.save_weights(tmp, overwrite=True)
    finally:
        model.set_weights(originals)
    for stale in folder.glob("product-*.weights.h5"):  # members of a previous, larger model
        if stale.name not in files:
            stale.unlink()
    atomic_write_json(folder / META_FILE, meta.to_json(), indent=2, ensure_ascii=False)


def save_baseline(folder: Path, baseline: dict) -> None:
    atomic_savez(folder / BASELINE_FILE, **baseline)


def load_baseline(folder: Path) -> dict | None:
    import numpy as np

    try:
        with np.load(folder / BASELINE_FILE, allow_pickle=False) as data:
            return {k: data[k] for k in ("mean", "scale", "coef", "intercept")}
    except (OSError, ValueError, KeyError):
        return None


def file_digest(path) -> int | None:
    """A 64-bit digest of a file's bytes (the first 8 bytes of SHA-256), None if unreadable."""
    from vsdesk.engine.files import sha256_file

    try:
        return int(sha256_file(path)[:16], 16)
    except OSError:
        return None


def photo_digests(paths) -> "np.ndarray":
    """Sorted unique ``file_digest``s of the readable files. 64 bits: a chance collision among
    a few thousand photos has a probability of about 1e-12."""
    import numpy as np

    digests = [d for d in map(file_digest, paths) if d is not None]
    return np.unique(np.array(digests, dtype=np.uint64))


def save_train_photos(folder: Path, digests: "np.ndarray") -> None:
    atomic_save_npy(folder / TRAIN_PHOTOS_FILE, digests.astype("<u8"))


def save_train_looks(folder: Path, looks: "np.ndarray") -> None:
    atomic_save_npy(folder / TRAIN_LOOKS_FILE, looks.astype("u1"))


def load_train_looks(folder: Path) -> "np.ndarray | None":
    """The training photos' looks ((n, 32) bytes), or None when the model has none (trained
    before they were recorded) or the file is unreadable."""
    import numpy as np

    try:
        looks = np.load(folder / TRAIN_LOOKS_FILE, allow_pickle=False)
    except (OSError, ValueError):
        return None
    return looks if looks.ndim == 2 and looks.dtype == np.uint8 and looks.shape[1] == 32 else None


def load_train_photos(folder: Path) -> "np.ndarray | None":
    """The training photos' digests, or None when the model has none (trained before they were
    recorded) or the file is unreadable."""
    import numpy as np

    try:
        digests = np.load(folder / TRAIN_PHOTOS_FILE, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if digests.ndim != 1 or digests.dtype.kind != "u" or digests.dtype.itemsize != 8:
        return None
    return digests.astype(np.uint64)


def _save_weights_float16(model: "keras.Model", target: Path) -> None:
    """Halve the shipped file: round weights to float16 in a clone, save it, keep float32 dtype."""
    import numpy as np

    originals = model.get_weights()
    try:
        model.set_weights([w.astype(np.float16).astype(np.float32) for w in originals])
        with atomic_path(target) as tmp:
            model.save_weights(tmp, overwrite=True)
            _compress_h5(tmp)
    finally:
        model.set_weights(originals)


def _compress_h5(path: Path) -> None:
    """Rewrite the file with float32 datasets stored as float16 (Keras casts them back on load).

    A new file, because HDF5 does not give back the space of deleted datasets.
    """
    import h5py
    import numpy as np

    packed = path.with_name(path.name + ".f16")
    with h5py.File(path, "r") as src, h5py.File(packed, "w") as dst:
        for key, value in src.attrs.items():
            dst.attrs[key] = value

        def copy(name: str, obj) -> None:
            if isinstance(obj, h5py.Group):
                group = dst.require_group(name)
                for key, value in obj.attrs.items():
                    group.attrs[key] = value
            else:
                data = obj[()]
                if getattr(data, "dtype", None) == np.float32:
                    data = data.astype(np.float16)
                dataset = dst.create_dataset(name, data=data)
                for key, value in obj.attrs.items():
                    dataset.attrs[key] = value

        src.visititems(copy)
    os.replace(packed, path)


def _build_default() -> "keras.Model":
    return build_head_model(read_meta(default_dir()))


#: The model store's entry for the shipped default (its weights file lives in resources/).
SPEC = ModelSpec(
    name="product",
    description="Clothing product-type classifier (17 classes + kids flag) on EfficientNet-Lite0",
    version="1",
    license="MIT (trained by vsdesk on the CC0 Clothing Dataset; backbone Apache-2.0)",
    build=_build_default,
    sources=(ResourceSource(path=f"{DEFAULT_DIR}/{WEIGHTS_FILE}"),),
    # (Said to an installed user as much as to a checkout: no path of the repository.)
    how_to_get="shipped with vsdesk: its files are missing from this installation, so reinstall vsdesk; or train "
    "one of your own with `vsdesk train product --data FOLDER` (the Clothing Dataset's images.csv folder, "
    "or one subfolder per class) and search with `--model NAME`",
)
