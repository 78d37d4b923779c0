"""Commands of the vae mode: `vsdesk eval vae` (and `vsdesk train vae` where it trains).

Placeholder until the vae mode lands: define register_eval(subparsers) / register_train(subparsers).
"""
