"""vsdesk: desktop visual search by artistic style, product type and VAE latent space."""

__version__ = "0.1.0"
__all__ = ["__version__"]
