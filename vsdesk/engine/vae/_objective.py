"""The VAE's objective, written once for training, evaluation and queries (TensorFlow inside).

Per image x (pixels in [0, 1], used as Bernoulli probabilities):

    ELBO(x) = E_q(z|x)[ log p(x|z) ] - KL( q(z|x) || N(0, I) )

with q(z|x) = N(mean, diag(exp(log_var))) (the log-variance parameterisation keeps the scale
positive), log p(x|z) = sum over the 784 pixels of the Bernoulli log-likelihood (a sum per image,
never over the batch), and the KL in closed form. Training minimises the batch mean of
``reconstruction + beta * kl`` (+ the auxiliary class term, see train.py); reported ELBOs always
use beta = 1, in nats per image.
"""

from __future__ import annotations


def kl_to_standard_normal(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, I)) per row, summed over dimensions."""
    import tensorflow as tf

    return 0.5 * tf.reduce_sum(tf.square(mean) + tf.exp(log_var) - 1.0 - log_var, axis=-1)


def bernoulli_nll(images, logits):
    """-log p(x|z) per image: Bernoulli cross-entropy summed over all pixels."""
    import tensorflow as tf

    return tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=images, logits=logits), axis=[1, 2, 3])


def gaussian_nll(values, mean, log_var):
    """-log N(values; mean, exp(log_var)) per row, summed over dimensions."""
    import math

    import tensorflow as tf

    return 0.5 * tf.reduce_sum(
        math.log(2.0 * math.pi) + log_var + tf.square(values - mean) * tf.exp(-log_var), axis=-1
    )


def sample(mean, log_var, seed=None):
    """Reparameterised draw z = mean + exp(log_var / 2) * eps."""
    import tensorflow as tf

    eps = tf.random.normal(tf.shape(mean), seed=seed) if seed is None else tf.random.stateless_normal(
        tf.shape(mean), seed=seed
    )
    return mean + tf.exp(0.5 * log_var) * eps


def image_terms(bundle, images, *, stochastic: bool, seed=None, training: bool = False):
    """(reconstruction NLL, KL, mean, log_var, logits) per image.

    ``stochastic``: one reparameterised sample of z (the Monte Carlo ELBO used for training and
    the reported test ELBO); otherwise z = mean, a deterministic score for anomaly percentiles.
    """
    mean, log_var = bundle.encoder(images, training=training)
    z = sample(mean, log_var, seed) if stochastic else mean
    logits = bundle.decoder(z, training=training)
    return bernoulli_nll(images, logits), kl_to_standard_normal(mean, log_var), mean, log_var, logits
