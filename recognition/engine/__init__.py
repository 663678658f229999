"""Handwriting recognition engine in plain Python (no Django).

Modules: ``labels`` (classes, charsets), ``ink`` (parse and validate ink), ``datasets``
(read ink JSONL and image folders), ``preprocessing`` (ink/image -> model raster),
``augmentation`` (stroke-level), ``scribbles`` (synthetic negatives for rejection),
``network``/``training``/``export`` (TensorFlow, training only), ``runtime`` (LiteRT
serving), ``evaluation`` (CONTRACTS section 3 metrics).
"""
