"""The VAE's architecture and its entry in the model store.

One Keras model bundles four small networks, so that one ``.weights.h5`` file holds them all:

- ``encoder``: 28x28x1 image -> mean and log-variance of q(z|x), z in R^32 (the *search latent*);
- ``decoder``: z -> 28x28 Bernoulli logits p(x|z);
- ``classifier``: a linear softmax layer on the mean of q(z|x) (an auxiliary training term that
  orders the search latent by category; see ``train.py`` and docs/vae.md);
- ``map_encoder`` / ``map_decoder``: a second, small VAE whose data are the 32-D search codes and
  whose latent is the plane (the *2-D map*). A point of the plane decodes to a 32-D code and then,
  through ``decoder``, to an image, so every point of the map can be drawn.

This module is cheap to import: Keras is imported inside the functions that build models.
"""

from __future__ import annotations

from vsdesk.engine.models.spec import ModelSpec, ResourceSource
from vsdesk.engine.vae import nearness

#: Bump when the architecture changes: caches (training latents) are keyed by it.
VERSION = "1"
#: Bump when the way a picture becomes the model's 28x28 changes (``dataset_form``): a catalog's
#: vectors of photos made the old way are then embedded again (once, ~500 images/s), as a query
#: is made the new way. 2: a garment darker than its background is negated (it was by a light
#: background only; a black top on a red bedspread came out an all-black silhouette).
FORM_VERSION = "2"

IMAGE_SHAPE = (28, 28, 1)
LATENT_DIM = 32
MAP_DIM = 2
NUM_CLASSES = 10
#: Width of the first convolution; the encoder doubles it, the decoder mirrors it.
WIDTH = 32
MAP_HIDDEN = 256

#: Where the shipped weights and their metadata live, relative to ``resources_dir()``.
RESOURCE_DIR = "models/vae"
WEIGHTS_NAME = "vae.weights.h5"
#: The metadata and the training set's search latents (float16) and labels, which training
#: writes beside the weights, are named after them: ``<weights stem><suffix>``.
METADATA_SUFFIX = ".json"
LATENTS_SUFFIX = ".train_latents.npz"
METADATA_NAME = "vae" + METADATA_SUFFIX
LATENTS_NAME = "vae" + LATENTS_SUFFIX


def vectors_key(weights_sha256: str) -> str:
    """Names a VAE's latent vectors (catalogs, caches): the architecture, the way pictures are
    made into the model's input and the weights. (Version 1 keys had no form part.)"""
    form = "" if FORM_VERSION == "1" else f"f{FORM_VERSION}"
    return f"vae-v{VERSION}{form}-{weights_sha256[:12]}"


def build_encoder(latent_dim: int = LATENT_DIM, width: int = WIDTH):
    import keras
    from keras import layers

    image = keras.Input(IMAGE_SHAPE, name="image")
    h = layers.Conv2D(width, 3, strides=2, padding="same", activation="relu", name="conv1")(image)
    h = layers.Conv2D(2 * width, 3, strides=2, padding="same", activation="relu", name="conv2")(h)
    h = layers.Flatten(name="flatten")(h)
    h = layers.Dense(256, activation="relu", name="hidden")(h)
    mean = layers.Dense(latent_dim, name="z_mean")(h)
    log_var = layers.Dense(latent_dim, name="z_log_var")(h)
    return keras.Model(image, [mean, log_var], name="encoder")


def build_decoder(latent_dim: int = LATENT_DIM, width: int = WIDTH):
    import keras
    from keras import layers

    z = keras.Input((latent_dim,), name="z")
    h = layers.Dense(256, activation="relu", name="hidden")(z)
    h = layers.Dense(7 * 7 * 2 * width, activation="relu", name="expand")(h)
    h = layers.Reshape((7, 7, 2 * width), name="grid")(h)
    h = layers.Conv2DTranspose(width, 3, strides=2, padding="same", activation="relu", name="up1")(h)
    h = layers.Conv2DTranspose(width // 2, 3, strides=2, padding="same", activation="relu", name="up2")(h)
    logits = layers.Conv2D(1, 3, padding="same", name="logits")(h)
    return keras.Model(z, logits, name="decoder")


def build_classifier(latent_dim: int = LATENT_DIM):
    import keras
    from keras import layers

    mean = keras.Input((latent_dim,), name="z_mean")
    return keras.Model(mean, layers.Dense(NUM_CLASSES, name="class_logits")(mean), name="classifier")


def build_map_encoder(latent_dim: int = LATENT_DIM):
    import keras
    from keras import layers

    code = keras.Input((latent_dim,), name="code")
    h = layers.Dense(MAP_HIDDEN, activation="relu", name="hidden1")(code)
    h = layers.Dense(MAP_HIDDEN, activation="relu", name="hidden2")(h)
    mean = layers.Dense(MAP_DIM, name="u_mean")(h)
    log_var = layers.Dense(MAP_DIM, name="u_log_var")(h)
    return keras.Model(code, [mean, log_var], name="map_encoder")


def build_map_decoder(latent_dim: int = LATENT_DIM):
    """2-D point -> Gaussian over 32-D codes: a mean and one learned log-variance per dimension."""
    import keras
    from keras import layers

    point = keras.Input((MAP_DIM,), name="point")
    h = layers.Dense(MAP_HIDDEN, activation="relu", name="hidden1")(point)
    h = layers.Dense(MAP_HIDDEN, activation="relu", name="hidden2")(h)
    mean = layers.Dense(latent_dim, name="code_mean")(h)
    # A bias-only layer: log-variance that does not depend on the point (homoscedastic).
    log_var = layers.Dense(latent_dim, use_bias=True, kernel_initializer="zeros", name="code_log_var")(
        layers.Lambda(lambda t: t[:, :1] * 0.0, output_shape=(1,), name="zero")(point)
    )
    return keras.Model(point, [mean, log_var], name="map_decoder")


def build_bundle(latent_dim: int = LATENT_DIM, width: int = WIDTH):
    """All five networks in one Keras model (only for saving/loading weights as one file)."""
    import keras

    class VaeBundle(keras.Model):
        def __init__(self):
            super().__init__(name="vae_bundle")
            self.encoder = build_encoder(latent_dim, width)
            self.decoder = build_decoder(latent_dim, width)
            self.classifier = build_classifier(latent_dim)
            self.map_encoder = build_map_encoder(latent_dim)
            self.map_decoder = build_map_decoder(latent_dim)
            self.latent_dim = latent_dim
            self.built = True  # every part is a functional model, built on construction

        def call(self, images):
            mean, _ = self.encoder(images)
            return self.decoder(mean)

    return VaeBundle()


SPEC = ModelSpec(
    name="vae",
    description="Convolutional VAE on Fashion-MNIST: 32-D search latent, 2-D manifold map, anomaly score",
    version=VERSION,
    license="MIT (vsdesk; trained on Fashion-MNIST, MIT, Zalando SE)",
    build=build_bundle,
    sources=(ResourceSource(f"{RESOURCE_DIR}/{WEIGHTS_NAME}"),),
    how_to_get="retrain with `vsdesk train vae` (about 10 minutes on a laptop CPU)",
    # (the nearness reference names the weights it was made for: one brought with other weights is not used)
    companions=(METADATA_SUFFIX, LATENTS_SUFFIX, nearness.SUFFIX),
)
