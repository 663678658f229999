"""The Keras model: a compact CNN over the (SIZE, SIZE, 1) raster, 62 classes + reject.

TensorFlow/Keras is imported here, in training and in export only; serving uses LiteRT.
"""

from __future__ import annotations

from typing import Any

from .labels import NUM_OUTPUTS
from .preprocessing import SIZE

# Faster-settling moving statistics than Keras' 0.99: short runs must serve sensibly too.
BN_MOMENTUM = 0.95


def build_model(width: int = 24, dropout: float = 0.35, seed: int = 0) -> Any:
    """A VGG-like CNN: three conv blocks with BatchNorm, then a dense head.

    ``width`` is the channel count of the first block (doubled per block). Augmentation
    lives outside the model (stroke-level, in numpy) so the saved model holds only
    inference layers and reloads cleanly.
    """
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)

    def conv(x: Any, filters: int) -> Any:
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
        return layers.ReLU()(x)

    inputs = keras.Input(shape=(SIZE, SIZE, 1), name="raster")
    # One conv at full resolution: most of the compute budget goes to 14x14 and 7x7.
    x = conv(inputs, width)
    x = layers.MaxPooling2D()(x)  # 14x14
    x = conv(x, width * 2)
    x = conv(x, width * 2)
    x = layers.MaxPooling2D()(x)  # 7x7
    x = conv(x, width * 4)
    x = conv(x, width * 4)
    x = layers.MaxPooling2D()(x)  # 3x3
    x = layers.Flatten()(x)
    x = layers.Dropout(dropout)(x)
    x = layers.Dense(256, use_bias=False)(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
    x = layers.ReLU()(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(NUM_OUTPUTS, activation="softmax", name="probs")(x)
    return keras.Model(inputs, outputs, name="inkwell_cnn")


def build_points_model(width: int = 64, dropout: float = 0.3, seed: int = 0) -> Any:
    """A 1-D CNN over the pen path (:mod:`points`): three pairs of convolutions, then pooling.

    Global average and max pooling make it read the whole path; ``width`` is the channel
    count of the first pair (x2, x3 after).
    """
    import keras
    from keras import layers

    from .points import FEATURES, POINTS

    keras.utils.set_random_seed(seed)

    def conv(x: Any, filters: int, kernel: int) -> Any:
        x = layers.Conv1D(filters, kernel, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
        return layers.ReLU()(x)

    inputs = keras.Input(shape=(POINTS, FEATURES), name="points")
    x = conv(inputs, width, 5)
    x = conv(x, width, 5)
    x = layers.MaxPooling1D()(x)
    x = conv(x, width * 2, 5)
    x = conv(x, width * 2, 5)
    x = layers.MaxPooling1D()(x)
    x = conv(x, width * 3, 3)
    x = conv(x, width * 3, 3)
    x = layers.Concatenate()([layers.GlobalAveragePooling1D()(x), layers.GlobalMaxPooling1D()(x)])
    x = layers.Dropout(dropout)(x)
    x = layers.Dense(256, use_bias=False)(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
    x = layers.ReLU()(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(NUM_OUTPUTS, activation="softmax", name="probs")(x)
    return keras.Model(inputs, outputs, name="inkwell_points")
