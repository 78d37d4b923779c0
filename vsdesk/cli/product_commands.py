"""Commands of the product mode: `vsdesk eval product` (and `vsdesk train product` where it trains).

Placeholder until the product mode lands: define register_eval(subparsers) / register_train(subparsers).
"""
