"""minee: neural estimation of differential entropy and mutual information, in nats.

MI-NEE (Chan et al. 2019) estimates each entropy as a cross-entropy to a known reference
minus a Donsker-Varadhan divergence learned by a critic network, then
I(X;Y) = H(X) + H(Y) - H(X,Y). MINE is the special case whose reference is the product
of the marginals.
"""

from .api import conditional_mutual_information, entropy, mutual_information
from .diagnostics import MineeWarning
from .estimate import Estimate, History
from .estimators import CMINEE, MINE, MINEE, NEE
from .parallel import mi_matrix, relevance
from .persistence import load, save

__version__ = "0.1.0"

__all__ = [
    "CMINEE", "MINE", "MINEE", "NEE", "Estimate", "History", "MineeWarning",
    "conditional_mutual_information", "entropy", "load", "mi_matrix", "mutual_information",
    "relevance", "save",
    "__version__",
]
