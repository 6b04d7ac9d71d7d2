"""Write docs/losses.md, the catalogue of every loss class of refs.losses, from the package.

One table per family (the module a class lives in): the class, the function it wraps, its
formula (from the docstrings), the library whose semantics it follows, how many golden cases of
tests/golden/*.json check it, its speed against Keras (bench/results/classic_losses.json) and
the demo that trains with it. The rows come from ``refs.losses`` itself (every exported
``keras.losses.Loss`` subclass but the abstract bases), so a new loss appears on the next run;
the explicit tables below only map golden loss names, library anchors and demos.

    python bench/losses_catalogue.py           # rewrite docs/losses.md
    python bench/losses_catalogue.py --check   # exit 1 if docs/losses.md is out of date

The output holds no date and no timing of its own, so it only changes when the package, the
golden files or the benchmark results do (tests/test_losses_catalogue.py runs ``--check``).
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import os
import re
import sys
import textwrap
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

import refs.losses as L  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "losses.md"
GOLDEN_DIR = ROOT / "tests" / "golden"
SPEED_JSON = ROOT / "bench" / "results" / "classic_losses.json"
EXPERIMENTS = ROOT / "refs" / "classic" / "experiments.py"
REGENERATE = "python bench/losses_catalogue.py"

#: Abstract bases: exported, but not losses one compiles a model with.
ABSTRACT = {"Loss", "DiscriminatorLoss", "GeneratorLoss"}
#: Families in this order first; any other module follows alphabetically.
FAMILY_ORDER = ("regression", "probabilistic", "focal", "margin", "similarity", "boxes",
                "adversarial", "metric_learning", "segmentation", "sequence", "sparsemax",
                "ordinal")
MAX_FORMULA = 140

# --------------------------------------------------------------------------- golden mapping

#: golden ``loss`` name -> the refs class its cases are checked with (see the golden tests'
#: docstrings for each convention mapping). A name missing here maps to the refs class of the
#: same (last dotted) name if there is one, else it is listed as unmapped.
GOLDEN_NAMES = {
    # keras2_losses.json (tests/test_losses_golden.py)
    "tf.keras.losses.BinaryCrossentropy": "BinaryCrossentropy",
    "tf.keras.losses.BinaryFocalCrossentropy": "BinaryFocalCrossentropy",
    "tf.keras.losses.CategoricalCrossentropy": "CategoricalCrossentropy",
    "tf.keras.losses.CategoricalHinge": "CategoricalHinge",
    "tf.keras.losses.CosineSimilarity": "CosineSimilarity",
    "tf.keras.losses.Hinge": "Hinge",
    "tf.keras.losses.Huber": "Huber",
    "tf.keras.losses.KLDivergence": "KLDivergence",
    "tf.keras.losses.LogCosh": "LogCosh",
    "tf.keras.losses.MeanAbsoluteError": "MeanAbsoluteError",
    "tf.keras.losses.MeanAbsolutePercentageError": "MeanAbsolutePercentageError",
    "tf.keras.losses.MeanSquaredError": "MeanSquaredError",
    "tf.keras.losses.MeanSquaredLogarithmicError": "MeanSquaredLogarithmicError",
    "tf.keras.losses.Poisson": "Poisson",
    "tf.keras.losses.SparseCategoricalCrossentropy": "SparseCategoricalCrossentropy",
    "tf.keras.losses.SquaredHinge": "SquaredHinge",
    # keras3_losses.json
    "keras.losses.CTC": "CTC",
    "keras.losses.CategoricalFocalCrossentropy": "CategoricalFocalCrossentropy",
    "keras.losses.CategoricalGeneralizedCrossEntropy": "CategoricalGeneralizedCrossEntropy",
    "keras.losses.Circle": "Circle",
    "keras.losses.Dice": "Dice",
    "keras.losses.MeanAbsolutePercentageError": "MeanAbsolutePercentageError",
    "keras.losses.Poisson": "Poisson",
    "keras.losses.SparseCategoricalCrossentropy": "SparseCategoricalCrossentropy",
    "keras.losses.Tversky": "Tversky",
    # kerascv_losses.json
    "keras_cv.losses.BinaryPenaltyReducedFocalCrossEntropy":
        "BinaryPenaltyReducedFocalCrossEntropy",
    "keras_cv.losses.CIoULoss": "CIoULoss",
    "keras_cv.losses.FocalLoss": "FocalLoss",
    "keras_cv.losses.GIoULoss": "GIoULoss",
    "keras_cv.losses.IoULoss": "IoULoss",
    "keras_cv.losses.SmoothL1Loss": "SmoothL1Loss",
    # smp_losses.json (tests/test_losses_segmentation_golden.py)
    "segmentation_models_pytorch.losses.DiceLoss": "Dice",
    "segmentation_models_pytorch.losses.FocalLoss": "SigmoidFocalCrossEntropy",
    "segmentation_models_pytorch.losses.JaccardLoss": "Jaccard",
    "segmentation_models_pytorch.losses.LovaszLoss": "Lovasz",
    "segmentation_models_pytorch.losses.MCCLoss": "MCC",
    "segmentation_models_pytorch.losses.SoftBCEWithLogitsLoss": "SoftBinaryCrossentropy",
    "segmentation_models_pytorch.losses.SoftCrossEntropyLoss": "SoftCategoricalCrossentropy",
    "segmentation_models_pytorch.losses.TverskyLoss": "FocalTversky",
    # tfa_losses.json, tfa_focal.json, tfa_giou.json
    "tensorflow_addons.losses.ContrastiveLoss": "ContrastiveLoss",
    "tensorflow_addons.losses.GIoULoss": "GIoULoss",
    "tensorflow_addons.losses.LiftedStructLoss": "LiftedStructLoss",
    "tensorflow_addons.losses.NpairsLoss": "NpairsLoss",
    "tensorflow_addons.losses.NpairsMultilabelLoss": "NpairsMultilabelLoss",
    "tensorflow_addons.losses.PinballLoss": "PinballLoss",
    "tensorflow_addons.losses.SigmoidFocalCrossEntropy": "SigmoidFocalCrossEntropy",
    "tensorflow_addons.losses.SparsemaxLoss": "SparsemaxLoss",
    "tensorflow_addons.losses.TripletHardLoss": "TripletHardLoss",
    "tensorflow_addons.losses.TripletSemiHardLoss": "TripletSemiHardLoss",
    "tensorflow_addons.losses.WeightedKappaLoss": "WeightedKappaLoss",
    "tensorflow_addons.losses.sigmoid_focal_crossentropy": "SigmoidFocalCrossEntropy",
    # torch_losses.json (tests/test_losses_golden.py's docstring)
    "torch.nn.BCELoss": "BinaryCrossentropy",
    "torch.nn.BCEWithLogitsLoss": "WeightedBinaryCrossentropy",
    "torch.nn.HuberLoss": "Huber",
    "torch.nn.KLDivLoss": "KLDivergence",
    "torch.nn.L1Loss": "MeanAbsoluteError",
    "torch.nn.MSELoss": "MeanSquaredError",
    "torch.nn.SmoothL1Loss": "Huber",  # huber(delta=beta) / beta
    "torch.nn.SoftMarginLoss": "LogisticLoss",
    "torchvision.ops.sigmoid_focal_loss (formula re-typed in torch)": "SigmoidFocalCrossEntropy",
    # gan_minimax.json (tests/test_gan_losses.py)
    "tensorflow DCGAN tutorial discriminator_loss "
    "(tf.keras.losses.BinaryCrossentropy(from_logits=True))": "DiscriminatorMinimaxLoss",
    "tensorflow DCGAN tutorial generator_loss "
    "(tf.keras.losses.BinaryCrossentropy(from_logits=True))": "GeneratorNonSaturatingLoss",
    "numpy float64 (no library)": "GeneratorSaturatingLoss",
}


def _torch_cross_entropy(case):
    """Index targets without smoothing -> sparse CE; smoothing or probability targets -> CE."""
    index_targets = _is_int_nested(case["y_true"])
    if index_targets and not case["kwargs"].get("label_smoothing"):
        return "SparseCategoricalCrossentropy"
    return "CategoricalCrossentropy"


def _torch_cosine_embedding(case):
    """Only the target +1 rows of the "none" cases are ``cosine_distance``."""
    return "CosineDistance" if case["reduction"] == "none" else None


#: golden names whose refs class depends on the case.
GOLDEN_PER_CASE = {
    "torch.nn.CrossEntropyLoss": _torch_cross_entropy,
    "torch.nn.CosineEmbeddingLoss": _torch_cosine_embedding,
}

#: Cases also checked with a second class: (golden name, refs class, which cases).
GOLDEN_ALSO = (
    ("keras.losses.CategoricalFocalCrossentropy", "SparseCategoricalFocalCrossentropy",
     lambda c: not c["kwargs"].get("label_smoothing")),  # smoothing: no integer-label form
    ("segmentation_models_pytorch.losses.TverskyLoss", "Tversky",
     lambda c: c["kwargs"].get("gamma") == 1.0),  # Tversky(alpha=beta, beta=alpha)
)

#: Why a golden name (or some of its cases) maps to no refs class.
GOLDEN_UNMAPPED_WHY = {
    "torch.nn.HingeEmbeddingLoss": "a different loss from refs's hinge family; not in refs",
    "torch.nn.MultiMarginLoss": "a different loss from refs's categorical hinge; not in refs",
    "torch.nn.CosineEmbeddingLoss": "reduced cases mix target -1 pairs (margin branch), which "
                                    "refs does not have; the 'none' cases' +1 rows are "
                                    "CosineDistance",
}


def _is_int_nested(x) -> bool:
    while isinstance(x, list) and x:
        x = x[0]
    return isinstance(x, int) and not isinstance(x, bool)


def golden_class(case, classes) -> tuple[str | None, str]:
    """(refs class name or None, how it was mapped: "explicit", "per case", "same name")."""
    name = case.get("loss", "")
    if name in GOLDEN_PER_CASE:
        return GOLDEN_PER_CASE[name](case), "per case"
    if name in GOLDEN_NAMES:
        return GOLDEN_NAMES[name], "explicit"
    short = re.split(r"[.\s(]", name.rsplit(".", 1)[-1])[0]
    if short in classes:
        return short, "same name"
    return None, "unmapped"


def golden_counts(classes):
    """Per class: Counter of golden file -> cases; plus the mapping rows and unmapped rows."""
    counts = defaultdict(Counter)
    mapping = Counter()  # (file, golden name, class or None, how) -> cases
    for path in sorted(GOLDEN_DIR.glob("*.json")):
        for case in json.loads(path.read_text()).get("cases", []):
            cls, how = golden_class(case, classes)
            mapping[(path.name, case.get("loss", ""), cls, how)] += 1
            if cls is not None:
                counts[cls][path.name] += 1
            for name, also, where in GOLDEN_ALSO:
                if case.get("loss") == name and also in classes and where(case):
                    counts[also][path.name] += 1
                    mapping[(path.name, name, also, "also")] += 1
    return counts, mapping


# --------------------------------------------------------------------------- anchors, demos

#: Library anchors where a class's docstring summary names none (or not the right one).
ANCHORS = {
    "CosineDistance": "PyTorch (`CosineEmbeddingLoss`, positive pairs)",
    "DiscriminatorMinimaxLoss": "TensorFlow DCGAN tutorial",
    "GeneratorNonSaturatingLoss": "TensorFlow DCGAN tutorial",
    "LogisticLoss": "PyTorch (`SoftMarginLoss`)",
    "WeightedBinaryCrossentropy": "PyTorch (`BCEWithLogitsLoss(pos_weight)`)",
}

#: (pattern in the docstring summary, library), searched case-sensitively.
LIBRARY_PATTERNS = (
    (r"\btfa\b|tensorflow[-_ ]addons", "tensorflow-addons"),
    (r"keras[-_]cv", "keras-cv"),
    (r"\bsmp\b|segmentation[-_ ]models[-_ ]pytorch", "segmentation-models-pytorch"),
    (r"\b[Kk]eras(?![-_]cv)\b(?!\.src)", "Keras"),
    (r"\btorch\b|PyTorch", "PyTorch"),
)

#: Demos that train with a loss, besides refs.classic's suites and refs.gan's pairs (derived).
DEMOS = {
    "SigmoidFocalCrossEntropy": 'refs.detection (RetinaNet, `DetectionLoss(cls_loss="focal")`)',
    "BinaryCrossentropy": 'refs.detection (RetinaNet, `cls_loss="bce"`)',
    "Huber": 'refs.detection (RetinaNet, `box_loss="huber"`)',
    "GIoULoss": 'refs.detection (RetinaNet, `box_loss="giou"`, tfa\'s `giou_loss`)',
}
PLANNED = {
    "segmentation": "none yet (planned: segmentation demo)",
    "metric_learning": "none yet (planned: metric-learning demo)",
}


def classic_suites() -> dict[str, list[str]]:
    """class name -> the refs.classic suites whose configurations build it (read from the AST
    of ``configs`` in refs/classic/experiments.py: ``if suite == "x": ... L.Cls(...)``)."""
    if not EXPERIMENTS.exists():
        return {}
    tree = ast.parse(EXPERIMENTS.read_text())
    found = defaultdict(list)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.FunctionDef) and node.name == "configs"):
            continue
        for stmt in node.body:
            suite = _suite_of(stmt)
            if suite is None:
                continue
            for sub in ast.walk(stmt):
                if (isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name)
                        and sub.value.id == "L" and sub.attr[:1].isupper()
                        and suite not in found[sub.attr]):
                    found[sub.attr].append(suite)
    return dict(found)


def _suite_of(stmt):
    if not isinstance(stmt, ast.If) or not isinstance(stmt.test, ast.Compare):
        return None
    comparators = stmt.test.comparators
    if (isinstance(stmt.test.left, ast.Name) and stmt.test.left.id == "suite" and comparators
            and isinstance(comparators[0], ast.Constant)):
        return comparators[0].value
    return None


def gan_pairs() -> dict[str, list[str]]:
    """class name -> the ``--loss`` names of refs.gan whose pair uses it."""
    found = defaultdict(list)
    for name in getattr(L, "LOSS_NAMES", ()):
        try:
            pair = L.get_loss_pair(name)
        except Exception:  # a pair that cannot be built with defaults is simply not listed
            continue
        for loss in pair:
            found[type(loss).__name__].append(name)
    return dict(found)


def demos_of(name, family, suites, pairs) -> str:
    parts = []
    if name in suites:
        parts.append("refs.classic (suites: " + ", ".join(suites[name]) + ")")
    if name in pairs:
        parts.append("refs.gan (" + ", ".join(f"`--loss {n}`" for n in pairs[name]) + ")")
    if name in DEMOS:
        parts.append(DEMOS[name])
    return "; ".join(parts) or PLANNED.get(family, "none yet")


def anchor_of(cls) -> str:
    name = cls.__name__
    if name in ANCHORS:
        return ANCHORS[name]
    summary = _paragraphs(inspect.getdoc(cls) or "")[:1]
    text = summary[0] if summary else ""
    hits = []
    for pattern, library in LIBRARY_PATTERNS:
        match = re.search(pattern, text)
        if match:
            hits.append((match.start(), library))
    libraries = [lib for _, lib in sorted(hits)]
    if not libraries and hasattr(keras.losses, name):
        libraries = ["Keras"]  # refs's class names follow keras.losses where Keras has the loss
    return ", ".join(libraries) or "none (no library counterpart)"


# --------------------------------------------------------------------------- speed

def speed_table() -> tuple[dict[str, str], dict]:
    """class name -> "eager 1.03 · XLA 1.00" (ratio refs / Keras), and the file's meta."""
    if not SPEED_JSON.exists():
        return {}, {}
    doc = json.loads(SPEED_JSON.read_text())
    by_class = defaultdict(lambda: defaultdict(dict))
    for row in doc.get("rows", []):
        if not {"loss", "mode", "ratio"} <= set(row):
            continue
        base, _, variant = row["loss"].partition("(")
        by_class[base][variant.rstrip(")")][row["mode"]] = row["ratio"]
    out = {}
    for name, variants in by_class.items():
        parts = []
        for variant in sorted(variants, key=lambda v: (v != "", v)):
            modes = variants[variant]
            text = " · ".join(f"{'XLA' if mode == 'jit' else mode} {modes[mode]:.2f}"
                              for mode in sorted(modes, key=lambda m: (m != "eager", m)))
            parts.append(f"{variant}: {text}" if variant else text)
        out[name] = "; ".join(parts)
    return out, doc.get("meta", {})


# --------------------------------------------------------------------------- docstrings

def _paragraphs(doc: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", doc.strip()) if p.strip()]


def rst_to_md(text: str) -> str:
    """Inline reST of a docstring as Markdown: ``x`` and :func:`x` -> `x`, one line."""
    text = re.sub(r":(?:func|class|mod|meth|attr|data):`~?([^`]+)`", r"``\1``", text)
    text = re.sub(r"``([^`]+)``", lambda m: "`" + m.group(1).strip() + "`", text)
    return " ".join(text.split())


def first_sentence(doc: str) -> str:
    paragraphs = _paragraphs(doc)
    if not paragraphs:
        return ""
    text = " ".join(paragraphs[0].split())
    match = re.search(r"(?<!\be\.g)(?<!\bi\.e)\.(\s|$)", text)
    return text[: match.start() + 1] if match else text


def _indented_blocks(doc: str):
    """The literal blocks of a docstring: indented lines after a blank line, not examples or
    argument lists (a block whose previous paragraph is "Args:", "Example::"... is skipped)."""
    lines = doc.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        prev = lines[i - 1] if i else ""
        if line.startswith(" ") and line.strip() and not prev.strip() and i > 1:
            intro = lines[i - 2].strip()
            block = []
            while i < len(lines) and (lines[i].startswith(" ") or not lines[i].strip()):
                block.append(lines[i])
                i += 1
            skip = (intro.endswith(("Example::", "Example:", "Examples::", "Usage::"))
                    or re.match(r"^(Args|Returns|Raises|Yields|Attributes):", intro)
                    or intro.startswith(("- ", "* ", "=")))
            if not skip:
                yield [b.rstrip() for b in block if b.strip()]
            continue
        i += 1


def _block_formula(block: list[str]) -> str | None:
    if not block or block[0].lstrip().startswith((">>>", "...")):
        return None
    if not re.search(r"[=^/()|+]", " ".join(block)):
        return None
    base = len(block[0]) - len(block[0].lstrip())
    formulas = []  # each line at the block's indent starts one; deeper lines continue it
    for line in block:
        if len(line) - len(line.lstrip()) > base and formulas:
            formulas[-1] += " " + line.strip()
        else:
            formulas.append(line.strip())
    formulas = [" ".join(f.split()).rstrip(",.") for f in formulas]
    loss_lines = [f for f in formulas if re.match(r"loss\s*=", f)]
    if loss_lines:
        return loss_lines[0]
    joined = "; ".join(formulas)
    return joined if len(joined) <= MAX_FORMULA else formulas[0]


_LITERAL = re.compile(r"``([^`]+)``")
_EXAMPLE = re.compile(r"^(Example|Examples|Usage|Args|Returns|Raises)\b|^>>>")


def _prose(doc: str) -> list[str]:
    """The prose paragraphs of a docstring, one line each (examples and arguments left out)."""
    return [" ".join(p.split()) for p in _paragraphs(doc)
            if not _EXAMPLE.match(p.lstrip()) and not p.startswith(" ")]


def _is_formula(literal: str) -> bool:
    """A literal that computes something (``1 - IoU``), not a name (``DiceLoss``, ``mode``),
    an argument setting (``beta = 0.5``) or a call example (``Dice()(y, p)``)."""
    if re.fullmatch(r"\s*[\w.]+\s*(=\s*[\w.'\"\-]+\s*)?", literal):
        return False
    if re.match(r"[A-Z]\w*\(", literal) or ">>>" in literal:
        return False
    return bool(re.search(r"[-+*/^|()\[\]]|\b(log|exp|max|min|sum|mean)\b", literal))


def _equation(literal: str, lhs: str = r"[\w()\[\], ]+?") -> bool:
    return bool(re.match(rf"\s*{lhs}\s*=[^=]", literal)) and _is_formula(literal)


def _loss_literal(doc: str, said: bool = False) -> str | None:
    """A ``loss = ...`` literal; with ``said``, the formula literal after "the loss is"."""
    for text in _prose(doc):
        for match in _LITERAL.finditer(text):
            before = text[: match.start()].rstrip().lower()
            if said and before.endswith("the loss is") and _is_formula(match.group(1)):
                return match.group(0)
            if not said and _equation(match.group(1), "loss"):
                return match.group(0)
    return None


def _summary_formula(doc: str) -> str | None:
    """The docstring's first sentence, when it holds a formula literal (``Hinge loss ``...````)."""
    sentence = first_sentence(doc)
    if any(_is_formula(m.group(1)) for m in _LITERAL.finditer(sentence)):
        return sentence
    return None


def _clause(text: str, start: int) -> str:
    """``text`` from ``start`` to the end of its clause (": ", ". ", "; " outside brackets)."""
    depth = 0
    for i in range(start, len(text)):
        ch = text[i]
        depth += ch in "([{"
        depth -= ch in ")]}"
        if text[max(start, i - 3):i + 1] in (" i.e.", " e.g.", "i.e.", "e.g."):
            continue
        if depth <= 0 and ch in ":.;" and (i + 1 == len(text) or text[i + 1] == " "):
            if text.count("`", start, i) % 2 == 0:
                return text[start:i]
    return text[start:]


def _equation_line(doc: str) -> str | None:
    """The clause of the first literal holding an equation (not ``name = value``)."""
    for text in _prose(doc):
        for match in _LITERAL.finditer(text):
            if _equation(match.group(1)):
                clause = _clause(text, match.start())
                return clause if len(rst_to_md(clause)) <= MAX_FORMULA else match.group(0)
    return None


def _block_formulas(docs):
    for doc in docs:
        for block in _indented_blocks(doc):
            formula = _block_formula(block)
            if formula:
                yield formula


def formula_of(cls, fn) -> str:
    """One line, by the first rule that finds something in the function's docstring, then the
    class's: a ``loss = ...`` line of a literal block; a ``loss = ...`` literal; the first
    literal formula block; a first sentence holding a formula (class, then function); the
    literal after "the loss is"; the first equation literal; else the class docstring's first
    sentence."""
    docs = [(inspect.getdoc(fn) or "") if fn else "", inspect.getdoc(cls) or ""]
    blocks = list(_block_formulas(docs))
    for formula in blocks:
        if re.match(r"loss\s*=", formula):
            return "`" + _shorten(formula, code=True) + "`"
    for doc in docs:
        literal = _loss_literal(doc)
        if literal:
            return _shorten(rst_to_md(literal))
    if blocks:
        return "`" + _shorten(blocks[0], code=True) + "`"
    for doc in (docs[1], docs[0]):
        sentence = _summary_formula(doc)
        if sentence:
            return _shorten(rst_to_md(sentence))
    for doc in docs:
        literal = _loss_literal(doc, said=True)
        if literal:
            return _shorten(rst_to_md(literal))
    for doc in docs:
        line = _equation_line(doc)
        if line:
            return _shorten(rst_to_md(line))
    return _shorten(rst_to_md(first_sentence(docs[1] or docs[0]))) or "—"


def _shorten(text: str, code: bool = False) -> str:
    """At most MAX_FORMULA characters, cut at a ", " / "; " / " (" (else a space) where the
    markup (backticks, bold) and the brackets are balanced."""
    if len(text) <= MAX_FORMULA:
        return text

    def balanced(head):
        return code or (head.count("`") % 2 == 0 and head.count("**") % 2 == 0
                        and head.count("(") == head.count(")"))

    limit = MAX_FORMULA - 2
    for pattern in (r", |; | \(", r" "):
        for cut in reversed([m.start() for m in re.finditer(pattern, text[:limit])]):
            if cut >= limit // 2 and balanced(text[:cut]):
                return text[:cut] + " …"
    head = text[:limit].rstrip()
    return head + ("`" if head.count("`") % 2 and not code else "") + " …"


def wrapped_function(cls):
    """The loss function a class passes to ``Loss.__init__`` (or sets as ``loss_fn``)."""
    fn = cls.__dict__.get("loss_fn")
    if isinstance(fn, staticmethod):
        fn = fn.__func__
    if callable(fn):
        return fn
    module = sys.modules[cls.__module__]
    for klass in cls.__mro__:
        if klass is L.Loss or "__init__" not in klass.__dict__:
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass.__init__)))
        except (OSError, TypeError, SyntaxError):
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "__init__" and node.args
                    and isinstance(node.args[0], ast.Name)):
                candidate = getattr(module, node.args[0].id, None)
                if inspect.isfunction(candidate):
                    return candidate
        inherited = getattr(klass, "loss_fn", None)
        if callable(inherited):
            return inherited
    return None


def public_function(cls, fn):
    """``fn``, or for a private helper (``_x``) the public function the class docstring names
    (``:func:`sparsemax_loss```) when refs.losses exports it."""
    if fn is None or not fn.__name__.startswith("_"):
        return fn
    for name in re.findall(r":func:`~?([\w.]+)`", inspect.getdoc(cls) or ""):
        candidate = getattr(L, name.rsplit(".", 1)[-1], None)
        if inspect.isfunction(candidate):
            return candidate
    return fn


# --------------------------------------------------------------------------- rows

def loss_classes() -> dict[str, type]:
    """Every exported loss class of refs.losses (name -> class), abstract bases left out."""
    names = getattr(L, "__all__", None) or [n for n in dir(L) if not n.startswith("_")]
    out = {}
    for name in names:
        obj = getattr(L, name, None)
        if (inspect.isclass(obj) and issubclass(obj, keras.losses.Loss)
                and name not in ABSTRACT and obj.__module__.startswith("refs.losses")):
            out[obj.__name__] = obj
    return out


def family_of(cls) -> str:
    return cls.__module__.rsplit(".", 1)[-1]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _golden_cell(per_file: Counter) -> str:
    total = sum(per_file.values())
    if not total:
        return "0"
    files = ", ".join(f"{f.removesuffix('.json')} {n}" for f, n in sorted(per_file.items()))
    return f"{total} ({files})"


def _family_sort_key(family: str):
    known = family in FAMILY_ORDER
    return (not known, FAMILY_ORDER.index(family) if known else 0, family)


def render() -> str:
    classes = loss_classes()
    counts, mapping = golden_counts(classes)
    speeds, meta = speed_table()
    suites, pairs = classic_suites(), gan_pairs()
    families = defaultdict(list)
    for cls in classes.values():
        families[family_of(cls)].append(cls)
    order = sorted(families, key=_family_sort_key)
    out = _intro(classes, counts, meta, order, families)
    for family in order:
        members = sorted(families[family], key=_source_line)
        out += _family_section(family, members, counts, speeds, suites, pairs)
    out += _mapping_section(mapping)
    return "\n".join(out).rstrip() + "\n"


def _source_line(cls):
    """Sort key: the class's line in its module (definition order), else its name."""
    try:
        return (inspect.getsourcelines(cls)[1], cls.__name__)
    except (OSError, TypeError):
        return (10**9, cls.__name__)


def _intro(classes, counts, meta, order, families) -> list[str]:
    checked = sum(1 for name in classes if counts.get(name))
    speed_src = (f"`bench/results/classic_losses.json` ({meta.get('date', '?')}, "
                 f"{meta.get('cpus', '?')} CPUs, TensorFlow {meta.get('tensorflow', '?')}, "
                 f"Keras {meta.get('keras', '?')}, {meta.get('repeats', '?')} repeats)")
    lines = [
        "# The losses of `refs.losses`",
        "",
        f"<!-- Generated by {REGENERATE} from the package; do not edit by hand. -->",
        "",
        f"{len(classes)} loss classes in {len(order)} families, {checked} of them checked "
        "against golden values of real libraries. Every class is a thin `keras.losses.Loss` "
        "around a plain function `fn(y_true, y_pred, **hyperparameters)` (the *function* "
        "column); the docstrings have the full formula, the arguments and where refs "
        "deliberately differs from the library it follows.",
        "",
        "Columns: *formula* is the first formula of the docstrings; *follows* the library "
        "whose semantics (argument names, defaults, values) the class reproduces; *golden "
        "cases* the cases of `tests/golden/*.json` it is checked against (per file; the "
        "convention mappings are in each golden test's docstring, and the name mapping is "
        "[at the end](#golden-name-mapping)); *speed vs Keras* the forward + backward time "
        f"ratio refs / Keras (below 1: refs is faster), from {speed_src}, see "
        "[benchmarks](benchmarks.md); *demo* the part of refs that trains a model with it.",
        "",
        f"Regenerate with `{REGENERATE}` (`--check` exits 1 when this file is out of date).",
        "",
        "Families: " + ", ".join(f"[{f}](#{f}) ({len(families[f])})"
                                 for f in order) + ".",
        "",
    ]
    return lines


def _family_section(family, members, counts, speeds, suites, pairs) -> list[str]:
    module = sys.modules[members[0].__module__]
    path = Path(inspect.getsourcefile(module)).resolve()
    try:
        rel = path.relative_to(ROOT).as_posix()
    except ValueError:
        rel = path.name
    summary = rst_to_md(first_sentence(inspect.getdoc(module) or ""))
    lines = [
        f"## {family}",
        "",
        f"Module [`{module.__name__}`](../{rel}): {summary}",
        "",
        "| class | function | formula | follows | golden cases | speed vs Keras | demo |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for cls in members:
        name = cls.__name__
        fn = public_function(cls, wrapped_function(cls))
        cells = [
            f"`{name}`",
            f"`{fn.__name__}`" if fn else "—",
            formula_of(cls, fn),
            anchor_of(cls),
            _golden_cell(counts.get(name, Counter())),
            speeds.get(name, "not measured yet"),
            demos_of(name, family, suites, pairs),
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines.append("")
    return lines


def _mapping_section(mapping: Counter) -> list[str]:
    lines = [
        "## Golden name mapping",
        "",
        "How the `loss` field of each golden case maps to a refs class (`explicit`: the table "
        "in `bench/losses_catalogue.py`; `per case`: decided by the case, e.g. torch's "
        "`CrossEntropyLoss` with index targets is `SparseCategoricalCrossentropy`, with "
        "smoothing or probability targets `CategoricalCrossentropy`; `also`: the same cases "
        "checked with a second class; `same name`: no entry, mapped to the class of that name).",
        "",
        "| golden file | golden loss | refs class | mapping | cases |",
        "| --- | --- | --- | --- | --- |",
    ]
    unmapped = []
    for (file, name, cls, how), n in sorted(mapping.items(), key=lambda kv: (
            kv[0][0], kv[0][1], kv[0][2] or "", kv[0][3])):
        if cls is None:
            unmapped.append((file, name, n))
            continue
        lines.append("| " + " | ".join(_cell(c) for c in (file, f"`{name}`", f"`{cls}`", how,
                                                             str(n))) + " |")
    lines += ["", "## Unmapped golden losses", ""]
    if not unmapped:
        lines.append("Every golden case maps to a refs class.")
        return lines
    lines += [
        "Golden cases that no refs class is checked against (listed so that nothing is "
        "dropped silently):",
        "",
        "| golden file | golden loss | cases | why |",
        "| --- | --- | --- | --- |",
    ]
    for file, name, n in unmapped:
        why = GOLDEN_UNMAPPED_WHY.get(name, "no refs class of that name")
        lines.append("| " + " | ".join(_cell(c) for c in (file, f"`{name}`", str(n), why)) + " |")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if docs/losses.md differs from what this would write")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = DOC.read_text() if DOC.exists() else None
        if current != text:
            print(f"{DOC.relative_to(ROOT)} is out of date: run {REGENERATE}", file=sys.stderr)
            return 1
        print(f"{DOC.relative_to(ROOT)} is up to date")
        return 0
    DOC.write_text(text)
    print(f"wrote {DOC.relative_to(ROOT)} ({len(loss_classes())} loss classes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
