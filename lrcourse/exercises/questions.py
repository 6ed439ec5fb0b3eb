"""The multiple-choice questions of the notebooks, keyed "notebook.exercise".

They live here, not in the notebooks, so that no learner's cell holds its answer; a
teacher reads or changes them in one place. :func:`check_question` asks one.
"""

from __future__ import annotations

from dataclasses import dataclass

from lrcourse.exercises import brief, check_choice, reveals, wrong


@dataclass(frozen=True)
class Question:
    """The options, the right one, what a right answer is told, and a hint for a wrong one."""

    options: tuple
    correct: str
    explanation: str
    hint: str

    def __post_init__(self):
        if not (
            isinstance(self.options, tuple)
            and 2 <= len(self.options) <= 100
            and all(isinstance(o, str) and o for o in self.options)
        ):
            raise ValueError(
                f"options must be a tuple of 2 to 100 words, got {brief(self.options)}"
            )
        if not isinstance(self.correct, str) or self.correct not in self.options:
            raise ValueError(f"correct must be one of the options, got {brief(self.correct)}")
        for field in ("explanation", "hint"):
            if not isinstance(getattr(self, field), str) or not getattr(self, field):
                raise ValueError(
                    f"{field} must be a non-empty string, got {brief(getattr(self, field))}"
                )


QUESTIONS = {
    "08.1": Question(
        ("SGD", "Momentum", "Nesterov", "Adam"),
        "Adam",
        (
            "Adam divides the gradient by its own root mean square, so its first step is "
            "the learning rate times the sign of g (section 1)."
        ),
        "which of them divides the gradient by its own size?",
    ),
    "10.2": Question(
        ("a", "b", "c"),
        "b",
        (
            "training loss down, validation loss up: the network is fitting its training "
            "images in ways that do not carry over to new ones."
        ),
        "under-fitting keeps both losses high; divergence sends the training loss up.",
    ),
    "11.2": Question(
        ("a", "b", "c", "d"),
        "c",
        "Keras 3 warns that decay is no longer supported and ignores it.",
        "run the constructor inside warnings.catch_warnings(record=True) and look.",
    ),
    "13.2": Question(
        ("a", "b", "c"),
        "b",
        (
            "decay_rate = e^(-d * decay_steps) = e^(-0.5) = 0.607: the share of the rate "
            "kept every 100 steps. (c) is e^(-0.005), right for decay_steps=1."
        ),
        "decay_rate is what the rate is multiplied by over decay_steps steps.",
    ),
    "13.3": Question(
        ("a", "b", "c"),
        "b",
        (
            "the second epoch is batches 100-199: from 0.1 * 0.5**(100/10) = 9.8e-5 down "
            "to 0.1 * 0.5**(199/10) = 1.0e-7. Counted in epochs it would have been (a)."
        ),
        "the schedule object counts batches: which batches make up the second epoch?",
    ),
    "14.2": Question(
        ("a", "b", "c"),
        "b",
        (
            "the cycles last 100, 200, 400, ... steps, so they restart at 100, 100 + 200 "
            "= 300 and 300 + 400 = 700."
        ),
        "first_decay_steps is the length of the first cycle; each next one is t_mul times longer.",
    ),
    "14.3": Question(
        ("a", "b", "c"),
        "b",
        (
            "without warmup_target, warmup_steps is ignored: the schedule is a plain "
            "cosine that starts at its peak, 0.1."
        ),
        "look at section 3: what switches Keras's warmup on?",
    ),
    "15.2": Question(
        ("a", "b", "c"),
        "b",
        (
            "a cycle is 2 * step_size = 1000 batches, so 4000 batches hold 4 cycles, each"
            " with one peak (at steps 500, 1500, 2500, 3500)."
        ),
        "step_size is half a cycle.",
    ),
    "15.3": Question(
        ("a", "b", "c"),
        "c",
        (
            "it starts at max_lr / div_factor = 0.1 / 25 and ends at that start divided "
            "by final_div_factor = 1e4: 0.1 / 2.5e5 = 4e-7."
        ),
        "torch divides the starting rate, not the peak, by final_div_factor.",
    ),
    "18.1": Question(
        ("A", "B", "C", "D"),
        "B",
        (
            "every verdict is 'no difference detected at this number of seeds': each "
            "99.5% interval contains 0. That is not 'equal' (C: more seeds might separate"
            " them, and section 4 shows that the budget can matter), not 'the constant is"
            " better' (D: for one schedule no better than the constant, 0 wins of 5 "
            "happens 1 time in 32, and we compared ten), and not a win for one-cycle (A: "
            "its interval is [-0.0832, +0.1017])."
        ),
        "read the verdict column of section 4's table, and what 'no difference detected' means.",
    ),
    "19.1": Question(
        ("A", "B", "C"),
        "B",
        (
            "small noisy batches and examples that disagree raise the noise floor, and "
            "long training reaches it: the floor, not the stability edge, then limits the"
            " constant."
        ),
        "which of the two walls of section 1 can a schedule get around?",
    ),
    "21.1": Question(
        ("A", "B", "C"),
        "C",
        (
            "paired over five seeds, 0.007 against 0.001 gives 'no difference detected at this "
            "number of seeds': the 95% interval of the difference contains 0, and the article's "
            "+3 points lies outside it. One run per rate cannot separate a rate's effect from a "
            "seed's, and that is all the article had."
        ),
        "read the verdict of section 3's comparison, not the seed-0 pair.",
    ),
    "22.1": Question(
        ("A", "B", "C"),
        "B",
        (
            "the copies carry the whole optimizer state (a test checks that a copier continues "
            "exactly as its donor would), and plain SGD has no momentum to need. Every search, "
            "grid and random included, got 'no difference detected' against the constant 0.45: "
            "on this short task five seeds show no gain from a schedule over a good constant, "
            "which says nothing about longer tasks, where the paper reports its gains."
        ),
        "look at the grid search's verdict as well as PBT's, and at what the optimizer is.",
    ),
    "24.1": Question(
        ("A", "B", "C"),
        "B",
        (
            "a preference is a ranking, and the course ranks only by verdicts: Adam at its best "
            "rate was 'better' than plain SGD at its best, and against the five others five seeds "
            "detected no difference. 'No difference detected' is not 'the same' (C), and 'never "
            "worse' is not 'better' (A)."
        ),
        "read which verdicts were 'better' and which were 'no difference detected', and what "
        "each of those words claims.",
    ),
}


@reveals
def check_question(answer, question):
    """Check ``answer`` to the multiple-choice question ``question`` ("18.1": notebook 18,
    Exercise 1) of :data:`QUESTIONS`."""
    if not isinstance(question, str) or question not in QUESTIONS:
        return wrong(f"question must be one of {', '.join(QUESTIONS)}; got {brief(question)}.")
    q = QUESTIONS[question]
    return check_choice(answer, q.correct, q.options, explanation=q.explanation, hint=q.hint)


# Notebook 23: population-based training on Ray Tune.
QUESTIONS["23.1"] = Question(
    ("A", "B", "C"),
    "B",
    (
        "Ray takes ceil(0.25 x 10) = 3 members (at most half of them): every round the three "
        "worst each copy one of the three best. The hand-written rule rounds down, floor(2.5) = 2."
    ),
    "Ray's default quantile_fraction is 0.25, and Ray rounds the count up (section 8).",
)
QUESTIONS["23.2"] = Question(
    ("A", "B", "C"),
    "B",
    (
        "Ray restores what the checkpoint holds, and nothing else. Without the optimizer's "
        "variables the copier goes on with the donor's weights and a velocity that belongs to "
        "other weights (its own, or zero in a fresh worker): not the donor's state, and the run "
        "is no longer a copy. Save and load every optimizer variable, as section 3's trainable "
        "does."
    ),
    "what does Ray hand from the donor to the copier, besides the configuration?",
)

# Notebook 25: the decay article re-tested.
QUESTIONS["25.1"] = Question(
    ("A", "B", "C"),
    "B",
    (
        "the step schedule holds 0.1 for epochs 0-9, so up to epoch 10 the step run is the "
        "constant 0.1 with momentum 0.9: the same network, difference 0 (section 6). The whole "
        "gain over the article's constant run is the momentum's."
    ),
    "what rate does the step rule give in epochs 0 to 9, and what else differs between the runs?",
)

# Notebook 27a: the TensorFlow 1 decay API in Keras 3.
QUESTIONS["27a.1"] = Question(
    ("A", "B", "C"),
    "B",
    (
        "the optimizer counts its own updates in optimizer.iterations, one per batch, and calls "
        "the schedule with it, as minimize(..., global_step=global_step) counted them: "
        "decay_steps=1000 still means 1,000 batches, and decay_steps=1000 has no late stair (the "
        "recorder of section 3 shows it; 27b, section 2, explains which decay_steps have one), so "
        "update 1000, during epoch 46 of 22 batches (1000 // 22 = 45, counted from 0), is the "
        "first at 0.1 x 0.96 = 0.096."
    ),
    (
        "what did global_step count in TensorFlow 1, what counts the same thing in Keras 3, and "
        "does the recorder of section 3 show a late stair at update 1000?"
    ),
)

# Notebook 27b: the TensorFlow decay API, the documentation checked.
QUESTIONS["27b.1"] = Question(
    ("A", "B", "C"),
    "B",
    (
        "fit computes the rate inside a compiled graph, where step / 110 becomes step x fl(1/110)"
        " = 1.99999988 at step 220: its floor is 1, so update 220 still uses 0.9 x 0.5 = 0.45, "
        "and 0.225 starts one batch later (section 2)."
    ),
    (
        "decay_steps counts batches (updates), not epochs; and is the rate computed the same way "
        "in Python and inside fit's compiled train step?"
    ),
)

# Notebook 27c: the TensorFlow decays against the best constant.
QUESTIONS["27c.1"] = Question(
    ("A", "B", "C"),
    "C",
    (
        "its paired difference from the constant 0.45 is +0.0542, with a 98.8% interval "
        "[-0.0679, +0.1763] that contains 0: neither better nor worse was detected. A higher mean "
        "over five seeds is not a verdict, a win on 2 of 5 seeds is not one either, and a single "
        "run is one draw (section 3)."
    ),
    "read the verdict column of section 3's comparison, not the means or the single runs.",
)

# Notebook 26a: "Learning rates for deep learning models", the diamonds experiment in Keras 3.
QUESTIONS["26a.2"] = Question(
    ("A", "B", "C"),
    "B",
    (
        "the rules count epochs from 0 and the scores are labelled from 1: the score taken after "
        "the rule's epoch e is 'after epoch e + 1'. 'After epoch 6' ends the rule's epoch 5, "
        "still at 0.001; the raise starts the rule's epoch 6, which ends with the score 'after "
        "epoch 7' (section 3)."
    ),
    "which rule epoch ends with the score labelled 'after epoch 6': the one before the raise, "
    "or the one after?",
)

# Notebook 26b: "Learning rates for deep learning models", the race and the verdicts.
QUESTIONS["26b.1"] = Question(
    ("A", "B", "C"),
    "B",
    (
        "against 0.001, the slowest rate of the sweep at 8 epochs and batch 128, the decay won on "
        "every seed; against the best constant of the sweep no difference was detected (its "
        "interval held zero). A schedule that beats a badly chosen constant has not been shown to "
        "beat a good one (sections 3 and 6)."
    ),
    "which baseline does each row of the claim table use, and what verdict did each get?",
)

# Notebook 28a: "Choosing a learning rate" re-tested, the annealing recipe.
QUESTIONS["28a.1"] = Question(
    ("A", "B", "C", "D"),
    "C",
    (
        "with batches of 64 an epoch has 22 updates, so epoch 400 starts at update "
        "400 x 22 = 8800, and PiecewiseConstantDecay keeps the old value AT a boundary "
        "(upper-inclusive): the boundary is the last update at 0.1, 8799. 8800 switches one "
        "update late, 4399 is the answer for 11 updates an epoch, and 400 counts epochs, not "
        "updates (section 2)."
    ),
    "does the schedule count epochs or updates, how many updates does an epoch of batches of 64 "
    "make, and is a boundary the last update at the old rate or the first at the new one?",
)

# Notebook 28b: "Choosing a learning rate" re-tested, Adam's rates and "prefer Adam".
QUESTIONS["28b.1"] = Question(
    ("A", "B", "C", "D"),
    "B",
    (
        "at 0.001 for all, RMSprop ended lower than Adam on all five seeds ('better') while SGD, "
        "Adagrad and Adadelta were 'worse'; each at its own best rate, all four intervals held "
        "zero. One shared rate ranks how well the rate suits each optimizer (section 4)."
    ),
    "read the verdict column of both comparisons in section 4, at_shared and each_best.",
)

# Notebook 29: the practical guide.
QUESTIONS["29.1"] = Question(
    ("A", "B", "C", "D"),
    "B",
    (
        "a schedule given to the optimizer is called with the number of updates (batches), not "
        "epochs: decay_steps=5 halves the rate every 5 batches. The last epoch starts after "
        "19 x 22 = 418 updates, so the rate is 0.02 x 0.5^(418/5), about 0.02 x 0.5^84, and "
        "less by the epoch's end: nothing trains. For a halving every 5 epochs, "
        "decay_steps = 5 x 22 = 110 (section 6)."
    ),
    "does a schedule object count epochs or updates, and how many updates are 19 epochs of 22 "
    "batches?",
)

# Notebook 06b: Adadelta in Keras.
QUESTIONS["06b.2"] = Question(
    ("A", "B", "C"),
    "B",
    (
        "Keras multiplies each update by the learning rate, and its running average of squared "
        "steps still collects the paper's step, before the factor: Adadelta's own step control "
        "never sees the 0.001, so nothing makes up for it. On the bowl the default had travelled "
        "0.0129 after 3000 steps, against 2.9124 at 1.0 (section 1); on the digits it was still "
        "guessing after 10 epochs, validation accuracy 0.0778 against 0.9222 (section 3). Pass "
        "learning_rate=1.0."
    ),
    "does E[dx^2] collect the step before or after Keras multiplies it by the learning rate? "
    "Compare the distances travelled in section 1 after 100, 1000 and 3000 steps.",
)
