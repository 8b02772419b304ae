"""zkml core: plugin contract, model IR, arithmetic engine and Plonkish proof system.

The core never imports ``zkml_plugins``; built-in layers, gadgets and backends are
discovered through entry points like any third-party plugin.
"""

__version__ = "0.1.0"
