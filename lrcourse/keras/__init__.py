"""The Keras layer: everything that imports Keras (and so TensorFlow) lives here.

- :mod:`lrcourse.keras.schedules`: the course's schedules as serializable Keras schedules and
  epoch callbacks, and ``keras_curve`` to evaluate any Keras schedule at many steps.
- :mod:`lrcourse.keras.optimizers`: the hand-written optimizers checked against Keras's own.
- :mod:`lrcourse.keras.training`: the one training loop (plain ``fit`` or its traced fast path),
  Part III's reference experiment, and the optimizer race on real data.
- :mod:`lrcourse.keras.finder`: ``KerasTrainer``, the range test (:mod:`lrcourse.finder`) on any
  compiled Keras model.
- :mod:`lrcourse.keras.pbt`: ``pbt_on_data``, population-based training (:mod:`lrcourse.pbt`) of
  Keras networks on the fast path, one twin optimizer per member.

Import the submodule you need; importing this package alone imports nothing heavy.
"""
