"""Measure the course against its budgets: notebook run time, import time, slider response.

    python tests/benchmark.py                  # everything
    python tests/benchmark.py --import --sliders
    python tests/benchmark.py --notebooks notebooks/01_*.ipynb
    python tests/benchmark.py --notebooks --repeat 3   # fastest of 3 runs per notebook
    python tests/benchmark.py --flops          # Part IV's training: FLOP/s against the peak
    python tests/benchmark.py --strict         # exit 1 when anything is over budget

Budgets (from the course design): every notebook of Parts I-III executes headless in 30 s, every
later notebook in 60 s, and the whole course in 8 min; ``import lrcourse`` takes 0.5 s and does
not import TensorFlow; a slider update (compute + redraw, i.e. ``explorer.update(...)``) takes
50 ms at the median. Notebooks are executed in memory on a fresh kernel and never saved. It is a
script, not a test: timings depend on the machine, so they are reported, not asserted.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import execute_notebooks  # noqa: E402  (the same executor as the maintainer script)

from lrcourse import landscapes  # noqa: E402
from lrcourse.ui.widgets import DescentExplorer  # noqa: E402

NOTEBOOK_BUDGET = 30.0  # seconds, each notebook of Parts I-III (00-19)
LATER_BUDGET = 60.0  # seconds, each notebook of the later parts
LAST_OF_PART_III = 19
COURSE_BUDGET = 480.0  # seconds, all notebooks together


def notebook_budget(path):
    """30 s for notebooks 00-19 (Parts I-III), 60 s for the later parts."""
    return NOTEBOOK_BUDGET if int(path.name[:2]) <= LAST_OF_PART_III else LATER_BUDGET
IMPORT_BUDGET = 0.5  # seconds
SLIDER_BUDGET = 0.050  # seconds, median of one update
IMPORT_RUNS = 5
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colour codes in kernel tracebacks


def learning_rates(n=30, *, low, high):
    """A sweep of the learning-rate slider, as a learner dragging it end to end would make."""
    return [{"learning_rate": float(lr)} for lr in np.geomspace(low, high, n)]


# Every explorer the notebooks use, built as the notebook builds it: (name, factory, the slider
# settings to sweep through, one update each). To add an explorer, append a row.
EXPLORERS = [
    (
        "00 DescentExplorer, parabola()",
        lambda: DescentExplorer(landscapes.parabola(), x0=2.5, learning_rate=0.3, steps=30),
        learning_rates(low=1e-3, high=3.0),
    ),
    (
        "01 DescentExplorer, bowl(10)",
        lambda: DescentExplorer(
            landscapes.bowl(10), x0=[2.5, 1.5], learning_rate=0.1, steps=40, lr_range=(1e-3, 0.3)
        ),
        learning_rates(low=1e-3, high=0.3),
    ),
    (
        "02 DescentExplorer, mountain_range()",
        lambda: DescentExplorer(
            landscapes.mountain_range(),
            x0=[2.0, -2.2],
            learning_rate=0.1,
            steps=80,
            lr_range=(1e-2, 3.0),
            noise_max=1.0,
            gap=False,
        ),
        learning_rates(low=1e-2, high=3.0),
    ),
    (
        "02 DescentExplorer, saddle() with noise",
        lambda: DescentExplorer(
            landscapes.saddle(),
            x0=[1.8, 0.0],
            learning_rate=0.1,
            steps=60,
            lr_range=(1e-2, 0.5),
            noise_max=0.1,
            gap=False,
        ),
        [{"learning_rate": 0.1, "noise": float(n)} for n in np.linspace(0, 0.1, 30)],
    ),
    (
        "03 DescentExplorer + momentum, bowl(30)",
        lambda: momentum_explorer(),
        [{"momentum": float(m)} for m in np.linspace(0.0, 0.99, 30)],
    ),
    (
        "08 RaceExplorer (every optimizer, 4 landscapes)",
        lambda: race_explorer(),
        learning_rates(low=1e-4, high=1.0),
    ),
    (
        "10-15 ScheduleExplorer, exponential decay",
        lambda: schedule_explorer(),
        [{"decay_rate": float(d)} for d in np.linspace(0.05, 1.0, 30)],
    ),
    (
        "16 PlateauExplorer (replay on a loss trace)",
        lambda: plateau_explorer(),
        [{"patience": int(p)} for p in np.arange(30) % 15],
    ),
    (
        "20 RangeTestExplorer (a recorded test, re-read)",
        lambda: range_test_explorer(),
        [{"beta": round(float(b), 2)} for b in np.linspace(0.0, 0.99, 30)],
    ),
    (
        "22 PBTExplorer (PBT on a noisy bowl, 16 members x 200 steps)",
        lambda: pbt_explorer(),
        [{"factor": round(float(f), 2)} for f in np.linspace(1.05, 2.0, 30)],
    ),
    (
        "17 PlaygroundExplorer (NumPy training run)",
        lambda: playground_explorer(),
        [{"peak_learning_rate": float(lr)} for lr in np.geomspace(0.3, 10.0, 30)],
    ),
]


def momentum_explorer():
    from lrcourse.optimizers import SGD
    from lrcourse.ui.widgets import slider

    return DescentExplorer(
        landscapes.bowl(30),
        [2.5, 1.5],
        0.02,
        80,
        optimizer=lambda learning_rate, momentum: SGD(learning_rate, momentum),
        extra_controls={"momentum": slider("momentum", 0.0, 0.0, 0.99)},
    )


def race_explorer():
    from lrcourse.ui.race import RaceExplorer

    return RaceExplorer(learning_rate=0.01, steps=50)


def schedule_explorer():
    from lrcourse import schedules
    from lrcourse.ui.widgets import ScheduleExplorer, log_slider, slider

    return ScheduleExplorer(
        lambda initial_learning_rate, decay_rate: schedules.ExponentialDecay(
            initial_learning_rate, 100, decay_rate
        ),
        {
            "initial_learning_rate": log_slider("initial lr", 0.05, 1e-3, 0.3),
            "decay_rate": slider("decay rate", 0.5, 0.05, 1.0),
        },
    )


def plateau_explorer():
    from lrcourse.ui.playground import PlateauExplorer

    epochs = np.arange(60)
    trace = 0.2 + 1.0 / (1 + 0.3 * epochs) + 0.02 * np.random.default_rng(0).standard_normal(60)
    return PlateauExplorer(trace, 0.1, patience=5, factor=0.5, cooldown=0, min_delta=0.01)


def playground_explorer():
    from lrcourse.softmax import DigitsTask
    from lrcourse.ui.playground import PlaygroundExplorer

    return PlaygroundExplorer(DigitsTask(steps=200, batch_size=64, seed=0))


def pbt_explorer():
    from lrcourse.ui.pbt import PBTExplorer

    return PBTExplorer(population=16, fraction=0.25, factor=1.25)


def range_test_explorer():
    from lrcourse.finder import NumpyTrainer, range_test
    from lrcourse.ui.finder import RangeTestExplorer

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2000, 5))
    y = x @ np.arange(5.0) + rng.standard_normal(2000)

    def loss_and_gradient(params, xb, yb):
        residual = xb @ params - yb
        return float(np.mean(residual**2)), 2 * xb.T @ residual / len(yb)

    trainer = NumpyTrainer(loss_and_gradient, np.zeros(5), x, y)
    return RangeTestExplorer(range_test(trainer, min_rate=1e-5, max_rate=10.0, steps=300))


def verdict(value, budget):
    return "PASS" if value <= budget else "OVER"


def table(title, header, rows):
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    print(f"\n{title}")
    for row in (header, *rows):
        print("  " + "  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))


# ---------------------------------------------------------------- the three measurements


def cpu_ticks():
    """``(stolen, total)`` CPU ticks of the whole machine so far, from /proc/stat (Linux), or None.

    On a virtual machine the host may take CPU time away ("steal"); wall times measured while it
    does say more about the neighbours than about the notebook.
    """
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


def stolen_share(before, after):
    if before is None or after is None or after[1] == before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])


def run_notebook(path):
    """``(seconds, stolen share)`` of one fresh-kernel execution of the notebook at ``path``."""
    nb = execute_notebooks.read(path)
    before = cpu_ticks()
    seconds = execute_notebooks.execute(nb, cwd=path.parent)
    return seconds, stolen_share(before, cpu_ticks())


def bench_notebooks(paths, repeat=1):
    """Headless wall time of each notebook on a fresh kernel (run in memory, never saved).

    With ``repeat > 1`` each notebook runs that many times and the fastest run counts, as with
    ``timeit``: slower runs measure interference (other processes, a busy host), not the notebook.
    """
    rows, over, total = [], False, 0.0
    for path in execute_notebooks.notebooks_to_run(paths):
        try:
            runs = [run_notebook(path) for _ in range(repeat)]
        except Exception as exc:  # report and carry on: this is a measurement, not the test
            rows.append((path.name, "failed", "", f"{notebook_budget(path):.0f} s", "FAIL"))
            last_line = ANSI.sub("", str(exc)).strip().splitlines()[-1]
            print(f"{path.name}: {type(exc).__name__}: {last_line}")
            over = True
            continue
        seconds, stolen = min(runs, key=lambda run: run[0])
        total += seconds
        over |= seconds > notebook_budget(path)
        rows.append(
            (
                path.name,
                f"{seconds:.1f} s"
                + (f" (slowest {max(r[0] for r in runs):.1f})" if repeat > 1 else ""),
                "?" if stolen is None else f"{100 * stolen:.0f} %",
                f"{notebook_budget(path):.0f} s",
                verdict(seconds, notebook_budget(path)),
            )
        )
    if not rows:
        print("\nno notebooks to run")
        return False
    over |= total > COURSE_BUDGET
    rows.append(
        ("total", f"{total:.1f} s", "", f"{COURSE_BUDGET:.0f} s", verdict(total, COURSE_BUDGET))
    )
    header = ("notebook", "time", "CPU stolen by host", "budget", "")
    table("Notebooks (headless, fresh kernel)", header, rows)
    print(
        "CPU stolen by host: share of the machine's CPU time the hypervisor gave to others while\n"
        "the notebook ran; above a few per cent the wall time is inflated: run again, or --repeat."
    )
    return over


IMPORT_PROBE = """
import sys, time
start = time.perf_counter()
import lrcourse
seconds = time.perf_counter() - start
print(seconds, "tensorflow" in sys.modules, "keras" in sys.modules, "matplotlib" in sys.modules)
"""


def bench_import():
    """``import lrcourse`` in fresh interpreters: the median time, and what came along with it."""
    runs = []
    for _ in range(IMPORT_RUNS):
        out = subprocess.run(
            [sys.executable, "-c", IMPORT_PROBE],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        seconds, tf, keras, mpl = out.stdout.split()
        runs.append(float(seconds))
    median = statistics.median(runs)
    tf_loaded, keras_loaded = tf == "True", keras == "True"
    rows = [
        (
            "import lrcourse (median of 5)",
            f"{median * 1000:.0f} ms",
            f"{IMPORT_BUDGET * 1000:.0f} ms",
            verdict(median, IMPORT_BUDGET),
        ),
        ("  slowest run", f"{max(runs) * 1000:.0f} ms", "", ""),
        ("tensorflow imported", "yes" if tf_loaded else "no", "no", verdict(tf_loaded, False)),
        ("keras imported", "yes" if keras_loaded else "no", "no", verdict(keras_loaded, False)),
        ("matplotlib imported", "yes" if mpl == "True" else "no", "", ""),
    ]
    table("Import (fresh interpreter)", ("what", "measured", "budget", ""), rows)
    return median > IMPORT_BUDGET or tf_loaded or keras_loaded


def bench_sliders(explorers=EXPLORERS):
    """Median time of one slider update (compute + redraw + PNG into the image widget)."""
    rows, over = [], False
    for name, factory, settings in explorers:
        explorer = factory()
        explorer.widget()  # the image widget exists, so each update also fills it, as in Lab
        explorer.update(**settings[0])  # the first render draws the fixed background: not timed
        times = []
        for values in settings:
            start = time.perf_counter()
            explorer.update(**values)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        over |= median > SLIDER_BUDGET
        rows.append(
            (
                name,
                len(times),
                f"{median * 1000:.1f} ms",
                f"{max(times) * 1000:.1f} ms",
                f"{SLIDER_BUDGET * 1000:.0f} ms",
                verdict(median, SLIDER_BUDGET),
            )
        )
    table(
        "Slider updates (explorer.update)",
        ("explorer", "updates", "median", "slowest", "budget", ""),
        rows,
    )
    return over


def best_seconds(work, repeat=5):
    """The fastest of ``repeat`` timed calls of ``work`` (after one untimed warm-up call)."""
    work()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def matmul_peaks(n=2048):
    """GFLOP/s of one n x n float32 matrix product: NumPy's BLAS and TensorFlow as the course
    configures it (oneDNN off, so TensorFlow's own kernels): the machine's practical peaks."""
    import lrcourse

    lrcourse.setup(seed=0, tensorflow=True)
    import tensorflow as tf

    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n), dtype=np.float32) for _ in range(2))
    ta, tb = tf.constant(a), tf.constant(b)
    flops = 2 * n**3
    return {
        "NumPy (BLAS) matmul": flops / best_seconds(lambda: a @ b) / 1e9,
        "TensorFlow matmul": flops / best_seconds(lambda: (ta @ tb).numpy()) / 1e9,
    }


def article_dataset():
    """The range-test article's split of the wine data, as notebooks 20 and 21 build it."""
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from lrcourse import bundled
    from lrcourse.data import Dataset

    x, y = bundled.wine_quality()
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=42)
    scaler = StandardScaler().fit(x_train)
    return Dataset(
        "wine_article", "binary",
        scaler.transform(x_train).astype("float32"), y_train.astype("int32"),
        scaler.transform(x_test).astype("float32"), y_test.astype("int32"), "article split",
    )  # fmt: skip


def training_flops_per_example(n_features, hidden, outputs=1):
    """Floating-point operations to train a dense network on one example: 6 per weight
    (a multiply-add forward, two backward: the gradients of the weights and of the inputs)."""
    widths = [n_features, *hidden, outputs]
    return 6 * sum(a * b for a, b in zip(widths, widths[1:], strict=False))


def bench_flops(epochs=2):
    """The Part IV runs (notebook 20's epoch-wise test: one network; notebook 21's retraining:
    35 networks side by side), timed over a few epochs: their arithmetic per second, against the
    machine's matmul peaks, and the time the full 100-epoch runs take at that speed."""
    peaks = matmul_peaks()  # first: it imports TensorFlow the quiet way (lrcourse.setup)
    import keras

    from lrcourse.keras.training import race_on_data

    wine, hidden, batch = article_dataset(), (128, 256, 256), 32
    per_example = training_flops_per_example(wine.n_features, hidden)
    per_epoch = per_example * len(wine.x_train)
    runs = {"20 epoch-wise test (1 network)": 1, "21 retraining (7 rates x 5 seeds)": 35}
    rows = []
    for name, networks in runs.items():
        rates = [0.001 * 1.3**k for k in range(max(1, networks // 5))]
        seeds = (0,) if networks == 1 else (0, 1, 2, 3, 4)
        optimizers = {f"{r:.3g}": keras.optimizers.Adam(r) for r in rates}

        def work(optimizers=optimizers, seeds=seeds, epochs=epochs):
            race_on_data(
                wine, optimizers, seeds=seeds, epochs=epochs, batch_size=batch, hidden=hidden,
                score_training=False,
            )  # fmt: skip

        seconds = best_seconds(work, repeat=2) / epochs
        speed = networks * per_epoch / seconds / 1e9
        rows.append(
            (
                name,
                f"{networks * per_epoch * 100 / 1e12:.2f} TFLOP",
                f"{seconds:.2f} s",
                f"{speed:.1f} GFLOP/s",
                " / ".join(f"{speed / peak:.0%}" for peak in peaks.values()),
                f"{100 * seconds / 60:.1f} min",
            )
        )
    table(
        "Part IV training runs: arithmetic and speed",
        ("run", "100 epochs", "per epoch", "speed", "of peaks", "100 epochs at it"),
        rows,
    )
    print(
        "peaks (float32 2048 x 2048 matmul): "
        + ", ".join(f"{name} {value:.1f} GFLOP/s" for name, value in peaks.items())
        + f"; training counted as 6 FLOP per weight per example ({per_example:,} per example)"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--notebooks",
        nargs="*",
        metavar="NOTEBOOK",
        help="time the notebooks (default: all of notebooks/NN_*.ipynb)",
    )
    parser.add_argument(
        "--import",
        dest="import_",
        action="store_true",
        help="time `import lrcourse` in a fresh interpreter",
    )
    parser.add_argument("--sliders", action="store_true", help="time the slider updates")
    parser.add_argument(
        "--flops",
        action="store_true",
        help="measure the Part IV training runs' arithmetic speed against the machine's peak",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="run each notebook N times and count the fastest run (default 1)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 when anything is over budget"
    )
    args = parser.parse_args(argv)
    everything = args.notebooks is None and not (args.import_ or args.sliders or args.flops)

    over = False
    if args.import_ or everything:
        over |= bench_import()
    if args.sliders or everything:
        over |= bench_sliders()
    if args.flops or everything:
        bench_flops()
    if args.notebooks is not None or everything:
        over |= bench_notebooks(args.notebooks or [], repeat=max(1, args.repeat))
    print("\nover budget or failed: see the OVER and FAIL rows" if over else "\nall within budget")
    return 1 if over and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
