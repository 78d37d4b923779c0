"""The Qt-free engine of vsdesk.

Everything here is plain Python, NumPy, Pillow, scikit-learn and (lazily) TensorFlow. The CLI,
the tests and the Qt layer in ``vsdesk.gui`` all drive it; nothing here may import Qt, and
TensorFlow is only imported inside functions that actually need a model.
"""
