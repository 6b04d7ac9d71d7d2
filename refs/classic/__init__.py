"""refs.classic: the classic regression and classification losses, and the experiments
comparing them."""
