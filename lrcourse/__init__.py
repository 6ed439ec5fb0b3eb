"""lrcourse: the helper package of the course "Learning Rates, Hands-On".

Small on purpose: one concept per module, readable in one sitting. Importing it is cheap and never
imports TensorFlow; the modules that need Keras import it when first used.
"""

from lrcourse._setup import PALETTE, setup

__version__ = "0.1.0"
__all__ = ["PALETTE", "__version__", "setup"]
