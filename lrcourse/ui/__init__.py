"""Pictures and sliders: the course's plot helpers and slider explorers (matplotlib, ipywidgets).

* :mod:`lrcourse.ui.plotting`: static figures: ``figure``, ``draw_landscape``, ``draw_path``,
  ``plot_losses``, and ``band`` (runs over seeds: the mean as a line, the spread as a band).
* :mod:`lrcourse.ui.widgets`: the ``Explorer`` pattern, ``slider``/``log_slider``,
  ``DescentExplorer`` (gradient descent and any optimizer) and ``ScheduleExplorer``.
* :mod:`lrcourse.ui.race`: the optimizer race drawn (``draw_race``) and on sliders
  (``RaceExplorer``).
* :mod:`lrcourse.ui.playground`: ``PlaygroundExplorer`` (design a schedule, train with it) and
  ``PlateauExplorer`` (ReduceLROnPlateau replayed).

The computations they show live in the NumPy core (``lrcourse.descent``, ``lrcourse.race``,
``lrcourse.softmax``, ...); nothing here is imported by it.
"""
