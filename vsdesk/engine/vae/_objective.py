"""The VAE's objective, written once for training, evaluation and queries (TensorFlow inside).

Per image x (pixels in [0, 1], used as Bernoulli probabilities):

    ELBO(x) = E_q(z|x)[ log p(x|z) ] - KL( q(z|x) || N(0, I) )

with q(z|x) = N(mean, diag(exp(log_var))) (the log-variance parameterisation keeps the scale
positive), log p(x|z) = sum over the 784 pixels of the Bernoulli log-likelihood (a sum per image,
never over the batch), and the KL in closed form. Training minimises the batch mean of
``reconstruction + beta * kl`` (+ the auxiliary class term, see train.py); reported ELBOs always
use beta = 1, in nats per image.

The anomaly score is the negative ELBO at z = mean *minus the image's own Bernoulli entropy*
sum_i H(x_i): the smallest reconstruction term any decoder could reach for that image. Raw
likelihoods of VAEs favour simple images (Nalisnick et al. 2019, "Do deep generative models know
what they don't know?": a Fashion-MNIST model rates digits as *likely*); subtracting the image's
own complexity (Serra et al. 2020, "Input complexity and out-of-distribution detection") leaves
sum_i KL(Bern(x_i) || Bern(p_i)) + KL(q || N(0, I)) - how much the model fails to explain.
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


#: Stored with the training-set statistics: statistics of another definition are recomputed.
SCORE_DEFINITION = "negative ELBO at z = mean minus the image's own Bernoulli entropy, nats"


def bernoulli_entropy(images, eps: float = 1e-6):
    """sum_i H(x_i) per image: the reconstruction NLL of a perfect decoder (p_i = x_i)."""
    import tensorflow as tf

    p = tf.clip_by_value(images, eps, 1.0 - eps)
    return -tf.reduce_sum(p * tf.math.log(p) + (1.0 - p) * tf.math.log(1.0 - p), axis=[1, 2, 3])


def anomaly_score(images, reconstruction_nll, kl):
    """Negative ELBO minus the image's own entropy (see the module docstring), nats per image."""
    return reconstruction_nll + kl - bernoulli_entropy(images)
