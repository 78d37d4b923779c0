"""The product ``Embedder``: class probabilities, the kids flag and a product-type-aware vector."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from PIL import Image

from vsdesk.engine.embedding import Embedder, l2_normalise
from vsdesk.engine.product import backbones, familiarity, fast
from vsdesk.engine.product import model as product_model
from vsdesk.engine.product import model_store
from vsdesk.engine.product.features import image_array
from vsdesk.engine.text import shown_class


#: Weight of the class-probability part of the search vector against the visual part.
CLASS_WEIGHT = 1.0


def search_vectors(features: np.ndarray, probabilities: np.ndarray, class_weight: float = CLASS_WEIGHT) -> np.ndarray:
    """The product search vector: [visual features, w * sqrt(class probabilities)], unit length.

    Both parts have unit length, so the cosine of two items is the mean of their visual cosine and
    their agreement on product type (the Bhattacharyya coefficient of their class probabilities):
    a sweater that looks like the query but is a different kind of product ranks below one of the
    same kind. The visual part alone still gives the classes back (``classify_vectors``).
    """
    features = l2_normalise(features)
    part = class_weight * np.sqrt(np.clip(probabilities, 0, 1)).astype(np.float32)
    return (np.concatenate([features, part], 1) / np.sqrt(1 + class_weight**2)).astype(np.float32)


def weights_key(folder: Path, backbone: str, member: int = 0) -> str:
    """The start of the vectors key of a member of the product model in ``folder`` (read
    without TensorFlow: the precision, the key's end, is known only once the model runs)."""
    weights = (folder / product_model.weights_file(member)).read_bytes()
    return f"product:{backbone}:{hashlib.sha256(weights).hexdigest()[:16]}:w{CLASS_WEIGHT:g}"


class ProductEmbedder(Embedder):
    mode = "product"

    def __init__(self, model: str | None = None, top_k: int = 5, member: int = 0):
        folder = model_store.model_dir(model)
        #: The model as the user names it (``--model``), for messages.
        self.model_name = model if model not in (None, "", *model_store.SHIPPED_NAMES) else "product"
        self.head, self.meta = product_model.load_head(folder, member)
        self.folder = folder
        self.backbone = backbones.get(self.meta.backbone)
        self.classes: list[str] = list(self.meta.classes)
        self.top_k = top_k
        self.weights_key = weights_key(folder, self.meta.backbone, member)
        self.features_dim = int(self.head.output["embedding"].shape[-1])
        #: Whether a photo looks like the training photos (None: the model has no data for it).
        self.familiarity = familiarity.load(folder, self.features_dim) if member == 0 else None
        self.dim = self.features_dim + len(self.classes)
        self.decode_size = self.meta.size
        kernel, bias = self.head.get_layer("category").get_weights()
        self._kernel, self._bias = kernel.astype(np.float32), bias.astype(np.float32)
        if self.meta.has_kids:
            k_kernel, k_bias = self.head.get_layer("kids").get_weights()
            self._kids = (k_kernel.astype(np.float32)[:, 0], float(k_bias[0]))
        else:
            self._kids = None
        self._run = None
        #: Why loading this member's runner failed, if it did: not tried again by this object
        #: (a CLI run; the window loads a model anew when its load fails).
        self._load_failure: Exception | None = None
        self._keras_run = None
        self._runtime = self._precision = "not loaded"
        # The model's other members (an ensemble of fine-tuned tops): they only add their class
        # probabilities (``classify``); vectors, and so catalogs, come from this first one.
        self.others: list[ProductEmbedder] = (
            [ProductEmbedder(model, top_k, member=i) for i in range(1, self.meta.members)] if member == 0 else []
        )

    # -- the Embedder contract ------------------------------------------------------------
    def preprocess(self, image: Image.Image) -> np.ndarray:
        return self.backbone.preprocess(image_array(image, self.meta.size))

    def embed(self, batch: np.ndarray) -> np.ndarray:
        return self._forward(batch)["vectors"]

    def describe(self, image: Image.Image, vector: np.ndarray) -> dict[str, Any]:
        """Top class probabilities and the kids probability, JSON-ready (``classify``).

        ``vector`` is this image's embedding, so the first member's probabilities for it come
        from the heads in NumPy; the rest needs forward passes."""
        pixels = image_array(image, self.meta.size)  # as the model sees them (``preprocess``)
        batch = self.backbone.preprocess(pixels)[None]
        # The first member's passes beyond the plain image (``vector``) go in one interpreter
        # call: the mirror image, for ``classify``, and the picture turned by 90 degrees each
        # way, for a garment on its side. The outputs are those of separate calls, bit for bit.
        # It saves a call and a resize of the interpreter's input (1, then 2 images) per query,
        # not the passes: XNNPACK costs the same per image in a batch.
        views = [batch[:, :, ::-1]]
        if self.familiarity is not None:
            views.append(self._turned_batch(pixels))
        first = self.predict(np.concatenate(views))
        out = self.classify(batch, np.asarray(vector, np.float32)[None],
                            mirrored={k: None if first[k] is None else first[k][:1] for k in ("probabilities", "kids")})
        probs = out["probabilities"][0]
        kids = None if out["kids"] is None else float(out["kids"][0])
        order = np.argsort(-probs)[: self.top_k]
        described = {
            "predicted": self.classes[int(order[0])],
            "classes": [{"label": self.classes[int(i)], "probability": round(float(probs[i]), 4)} for i in order],
            "kids": None if kids is None else round(kids, 4),
            "model": self.meta.name,
            "backbone": self.meta.backbone,
        }
        if self.familiarity is not None:  # {"typicality": %, "unfamiliar": bool}
            embedding = l2_normalise(np.asarray(vector, np.float32)[None, : self.features_dim])[0]
            # The pixels the model saw, for the flat areas of a screenshot or a drawing; the
            # picture turned by 90 degrees each way, for a garment on its side.
            turned = l2_normalise(np.asarray(first["vectors"][1:], np.float32)[:, : self.features_dim])
            described["familiarity"] = self.familiarity.describe(embedding, pixels, turned)
        else:  # said, not left out: a missing warning would read as "like the training photos"
            described["familiarity"] = None
            described["familiarity_note"] = familiarity.unavailable(self.meta.metrics.get("train_images"))
        return described

    def turned(self, pixels: np.ndarray) -> np.ndarray:
        """Unit embeddings (this member's) of the model's input turned by 90 degrees each way."""
        vectors = np.asarray(self.embed(self._turned_batch(pixels)), np.float32)
        return l2_normalise(vectors[:, : self.features_dim])

    def _turned_batch(self, pixels: np.ndarray) -> np.ndarray:
        """The model's input (pixels, (size, size, 3)) turned by 90 degrees each way, preprocessed."""
        return self.backbone.preprocess(np.stack([np.rot90(pixels, 1), np.rot90(pixels, -1)]).astype(np.float32))

    # -- product-specific -----------------------------------------------------------------
    def classify(self, batch: np.ndarray, vectors: np.ndarray | None = None,
                 mirrored: dict[str, np.ndarray | None] | None = None) -> dict[str, Any]:
        """Class (and kids) probabilities as the app reports them: every member's, each on the
        image and its mirror image, averaged. ``vectors``: the batch's own search vectors, if
        known (saves the first member's plain pass); with them, ``mirrored``: this member's
        {"probabilities", "kids"} of the mirror images, if known (saves that pass too). TF
        thread only."""
        batch = np.asarray(batch, np.float32)
        both = np.concatenate([batch, batch[:, :, ::-1]])
        n = len(batch)
        outs = []
        for member in [self, *self.others]:
            if member is self and vectors is not None:
                outs += [self.classify_vectors(vectors), mirrored if mirrored is not None else self.predict(both[n:])]
            else:
                out = member.predict(both)
                outs += [{k: None if out[k] is None else out[k][part] for k in ("probabilities", "kids")}
                         for part in (slice(0, n), slice(n, None))]
        probs = np.mean([o["probabilities"] for o in outs], 0)
        kids = None if outs[0]["kids"] is None else np.mean([o["kids"] for o in outs], 0)
        return {
            "probabilities": probs,
            "kids": kids,
            "labels": [self.classes[int(i)] for i in np.argmax(probs, 1)],
            "classes": self.classes,
        }

    def predict(self, batch: np.ndarray) -> dict[str, Any]:
        """Stacked ``preprocess`` outputs -> {"probabilities": (n, k), "kids": (n,) or None,
        "labels": predicted class names, "classes": all class names, "vectors": (n, dim)}.
        TF thread only."""
        out = self._forward(batch)
        return {"vectors": out["vectors"], **out["heads"]}

    def classify_vectors(self, vectors: np.ndarray) -> dict[str, Any]:
        """Class probabilities from stored embedding vectors alone (NumPy; any thread).

        The heads read the L2-normalised visual features (the first part of a search vector),
        so this equals ``predict`` on the images (the first member alone, without the mirror
        averaging of ``classify``).
        """
        vectors = l2_normalise(np.asarray(vectors, np.float32)[:, : self.features_dim])
        logits = vectors @ self._kernel + self._bias
        logits -= logits.max(1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(1, keepdims=True)
        kids = None
        if self._kids is not None:
            kids = 1.0 / (1.0 + np.exp(-(vectors @ self._kids[0] + self._kids[1])))
        return {
            "probabilities": probs,
            "kids": kids,
            "labels": [self.classes[int(i)] for i in np.argmax(probs, 1)],
            "classes": self.classes,
        }

    def _load_runner(self):
        """TFLite/XNNPACK when it is available and matches Keras, else the traced Keras model."""
        from vsdesk.engine.product.features import compiled

        runner, model = fast.load_runner(
            self.weights_key, self.meta.size, self.meta.has_kids, self.full_model, compiled,
            backbone=self.backbone, model_folder=self.folder,
        )
        if runner is not None:
            self._runtime, self._precision = "tflite", runner.precision
        else:
            self._runtime, self._precision = "tensorflow", "float32"
            runner = compiled(model if model is not None else self.full_model())
        return runner

    def keras_forward(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """The plain TensorFlow path (the reference the fast path is checked against)."""
        if self._keras_run is None:
            from vsdesk.engine.product.features import compiled

            self._keras_run = compiled(self.full_model())
        return self._keras_run(np.asarray(batch, np.float32))

    def full_model(self):
        """Image (preprocessed) -> {"category", "kids", "embedding"}: frozen trunk + trained head."""
        import keras

        trunk = self.backbone.trunk(self.meta.first_top_block)
        return keras.Model(trunk.input, self.head(trunk.output), name="product")

    @property
    def key(self) -> str:
        """The weights plus the precision: int8 vectors differ from float32 ones by ~1e-2, so a
        catalog keeps one kind. Which one runs is only known once the fast path is loaded (an
        int8 conversion can be refused), so the first read loads it (TF thread; a cached
        flatbuffer takes well under a second, a first conversion ~10-20 s a member). Catalogs depend on
        the first member alone, so indexing loads no other (``warm_up`` loads them all, but with
        ``indexing=True``; the CLI's `index` does that, `search` loads them all up front)."""
        self._runner()
        return self.weights_key + (":q8" if self._precision == "int8" else "")

    def first_use_note(self, indexing: bool = False) -> str | None:
        """Said before a member is first converted for the fast path (TFLite int8): the model's
        first use is then seconds to a minute longer, once (the result is cached). The time
        said is that of every member to convert (``indexing``: the first alone): callers that
        say it ``warm_up`` then."""
        pending = [m for m in self._members(indexing) if m._run is None and
                   fast.will_convert(m.weights_key, m.meta.size, m.meta.backbone, m.folder)]
        if not pending:
            return None
        return (f"converting model {self.model_name} for fast inference "
                f"(once, {fast.conversion_time(len(pending))})…")

    def warm_up(self, indexing: bool = False) -> None:
        """This member and the others: a query's class probabilities need them all. An index
        run needs this one alone (its vectors and their key: ``classify`` is not called)."""
        for member in self._members(indexing):
            member._runner()

    def _members(self, indexing: bool) -> list["ProductEmbedder"]:
        return [self] if indexing else [self, *self.others]

    def keep_fast_path_with_model(self) -> list[Path]:
        """Each member's int8 flatbuffer, converted (or read from this machine's cache) and
        written into the model's folder (``fast.keep_with_model``), where installs of the model
        find it at their first start; flatbuffers of earlier weights there are deleted. The
        files kept (none when int8 is off or refused)."""
        self.warm_up()
        kept = [fast.keep_with_model(m.folder, m.weights_key, m.meta.size, m.meta.backbone) for m in (self, *self.others)]
        kept = [path for path in kept if path is not None]
        for stale in self.folder.glob("fast-*.tflite"):
            if stale not in kept:
                stale.unlink()
        return kept

    @property
    def runtime(self) -> str:
        """"tflite" (XNNPACK, the fast path) or "tensorflow"; decided by the first forward pass
        or read of ``key``."""
        return self._runtime

    @property
    def precision(self) -> str:
        """"int8" (the quantised fast path) or "float32"; decided like ``runtime``."""
        return self._precision

    def _runner(self):
        if self._run is None:
            if self._load_failure is not None:
                # Tried once already: a query after query would convert again (seconds each, on
                # stderr each time) and fail the same way. Said for each, not tried for each.
                raise self._load_failure
            try:
                self._run = self._load_runner()
            except Exception as exc:  # (not KeyboardInterrupt: a load stopped is tried again)
                self._load_failure = exc
                raise
        return self._run

    def _forward(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        out = dict(self._runner()(np.asarray(batch, np.float32)))
        out["embedding"] = l2_normalise(out["embedding"])
        # The heads run here in float32 on the embedding, not inside the model: an int8 model's
        # softmax would come out in steps of 1/256, and this way a stored vector gives exactly
        # the probabilities the image did (classify_vectors).
        out["heads"] = self.classify_vectors(out["embedding"])
        out["vectors"] = search_vectors(out["embedding"], out["heads"]["probabilities"])
        return out


def item_classes(embedder: ProductEmbedder, labels: Sequence[str], vectors: np.ndarray) -> np.ndarray:
    """Each catalog item's product type as the gallery shows it: its own label where that is one
    of the model's classes, in any letter case (a labelled catalog, e.g. the sample), else the
    class the model predicts from its stored vector (NumPy only, any thread). Labels may carry a
    suffix, such as " (predicted)"; only a label that is a class name counts as the item's own."""
    own = np.array(own_classes(embedder.classes, labels), dtype=object)
    missing = np.flatnonzero(own == "")
    if len(missing):
        predicted = embedder.classify_vectors(np.asarray(vectors)[missing])["labels"]
        own[missing] = predicted
    return own


def own_classes(classes: Sequence[str], labels: Sequence[str]) -> list[str]:
    """Each label that names one of the model's ``classes``, in any letter case, as the class's
    own name (a folder "dress/" holds Dresses); "" for a label that names none (a folder's name,
    no label): its type is then the class the model predicts. A class is told by the name it
    is said by, too: a folder "Outerwear/" holds the Clothing Dataset's "Outwear"."""
    known = {spelling.casefold(): name for name in classes for spelling in (shown_class(name), name)}
    return [known.get((label or "").casefold(), "") for label in labels]


def item_kids(embedder: ProductEmbedder, vectors: np.ndarray) -> np.ndarray | None:
    """Each catalog item's kids' wear probability as the model predicts it from its stored
    vector (NumPy only, any thread); None for a model without a kids' wear head."""
    if not len(vectors):
        return np.zeros(0, np.float32)
    kids = embedder.classify_vectors(np.asarray(vectors))["kids"]
    return None if kids is None else np.asarray(kids, np.float32)


def outside_kids(kids: np.ndarray, wanted: bool | None) -> np.ndarray:
    """Rows of items on the other side of kids' wear (``item_kids`` >= 0.5, as a caption says
    "for kids") than ``wanted``: True keeps kids' wear, False keeps the rest, None keeps all."""
    if wanted is None:
        return np.zeros(0, np.int64)
    return np.flatnonzero((np.asarray(kids) >= 0.5) != wanted)


def outside_class(classes: np.ndarray, wanted: str | None) -> np.ndarray:
    """Rows of items whose product type (``item_classes``) is not ``wanted``: what a search
    kept to the query's class leaves out. None wanted keeps every row."""
    if not wanted:
        return np.zeros(0, np.int64)
    return np.flatnonzero(classes != wanted)
