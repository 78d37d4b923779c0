"""Commands of the style mode: `vsdesk eval style` (and `vsdesk train style` where it trains).

Placeholder until the style mode lands: define register_eval(subparsers) / register_train(subparsers).
"""
