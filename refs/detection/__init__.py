"""refs.detection: focal loss inside a small RetinaNet-style detector."""
