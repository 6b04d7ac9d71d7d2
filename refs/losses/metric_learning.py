"""Metric-learning losses: tensorflow-addons 0.23's family, and Keras 3's circle loss.

Drop-in replacements for ``tfa.losses``: the same class names, constructor arguments, defaults
and call signatures (``loss(labels, embeddings)``), so a user changes only the import. Written
from the maths and tfa's documented behaviour with ``keras.ops`` only.

Batch-structured losses
-----------------------
The triplet, lifted-structure and N-pairs losses compare every sample of a batch with every
other one, so they return **one scalar per batch**, as tfa does (tfa forces
``reduction=NONE``). ``reduction`` is accepted but has no effect on that scalar (every Keras
reduction of one value is the value), and ``sample_weight`` is **rejected** with a ValueError:
a per-sample weight has no meaning for a loss that is not a sum over samples (tfa fails inside
the loss). ``ContrastiveLoss`` is per pair (the caller computes the distance of each pair) and
``Circle`` per anchor: both honour ``sample_weight`` and ``reduction``.

Where tfa returns NaN, refs returns a documented finite value with a finite gradient: a batch
with no positive pair gives 0 for ``TripletSemiHardLoss`` and ``LiftedStructLoss`` (tfa: 0/0),
a batch with no negative gives 0 for ``LiftedStructLoss`` (tfa: log 0), and a row of
``NpairsMultilabelLoss`` with no label contributes nothing (tfa: 0/0).

Distances (``distance_metric``): ``"L2"`` ``sqrt(max(|a|^2 + |b|^2 - 2 a.b, 0))`` with the
diagonal set to 0, ``"squared-L2"`` the same without the root, ``"angular"``
``max(1 - cos(a, b), 0)`` on internally L2-normalised rows (its diagonal is not zeroed), or a
callable mapping the ``(B, D)`` embeddings to a ``(B, B)`` distance matrix (not serializable).
The expanded formula is tfa's: in float32 it differs from exact distances by up to ~5e-4 on
duplicated or scaled rows. float16 and bfloat16 embeddings are computed in float32 and the
result is cast back (as tfa does); float64 embeddings are computed in float64 (tfa raises a
TypeError there, as it multiplies float32 masks into the distance matrix).

Memory: every loss here is O(B^2) in memory (a few B x B matrices), including the semi-hard
triplet loss, which tfa computes with a B^2 x B tiled tensor (see :func:`triplet_semihard_loss`).
"""

from __future__ import annotations

import keras
from keras import ops

from refs.losses.base import Loss, as_float_tensor, register
from refs.losses.validation import (
    check_bool,
    check_choice,
    check_non_negative,
    check_positive,
    check_values,
    convert_input,
    static_shape,
)

__all__ = [
    "Circle",
    "ContrastiveLoss",
    "LiftedStructLoss",
    "NpairsLoss",
    "NpairsMultilabelLoss",
    "TripletHardLoss",
    "TripletSemiHardLoss",
    "angular_distance",
    "circle",
    "contrastive_loss",
    "lifted_struct_loss",
    "npairs_loss",
    "npairs_multilabel_loss",
    "pairwise_distance",
    "triplet_hard_loss",
    "triplet_semihard_loss",
]

DISTANCE_METRICS = ("L2", "squared-L2", "angular")


# --------------------------------------------------------------------------- shared pieces


def _check_metric(distance_metric):
    if callable(distance_metric):
        return distance_metric
    return check_choice("distance_metric", distance_metric, DISTANCE_METRICS)


def _batch_inputs(loss: str, labels, embeddings, *, labels_name="y_true",
                  embeddings_name="y_pred", what="embeddings", square=False):
    """(labels (B,), embeddings (B, D) as float32 or wider, original dtype).

    ValueError naming the argument for embeddings that are not 2-D, labels that are not one
    per row, and NaN / infinite values (eager inputs only).
    """
    labels = convert_input(loss, labels_name, labels)
    embeddings = as_float_tensor(convert_input(loss, embeddings_name, embeddings))
    e_shape, l_shape = static_shape(embeddings), static_shape(labels)
    if e_shape is not None and len(e_shape) != 2:
        raise ValueError(f"{loss}: {embeddings_name} ({what}) must have shape (batch, "
                         f"{'batch' if square else 'dim'}), got shape {e_shape} (rank "
                         f"{len(e_shape)})")
    if l_shape is not None and len(l_shape) == 2 and l_shape[1] == 1:
        labels = ops.reshape(labels, (-1,))
        l_shape = (l_shape[0],)
    if l_shape is not None and len(l_shape) != 1:
        raise ValueError(f"{loss}: {labels_name} (labels) must have shape (batch,), one "
                         f"integer label per row of {embeddings_name}, got shape {l_shape}")
    if e_shape is not None and l_shape is not None and None not in (e_shape[0], l_shape[0]):
        if e_shape[0] != l_shape[0]:
            raise ValueError(f"{loss}: {labels_name} has {l_shape[0]} labels but "
                             f"{embeddings_name} has {e_shape[0]} rows (one label per row)")
        if square and e_shape[1] is not None and e_shape[1] != e_shape[0]:
            raise ValueError(f"{loss}: {embeddings_name} must be a square (batch, batch) "
                             f"similarity matrix, got shape {e_shape}")
    check_values(loss, labels, embeddings, names=(labels_name, embeddings_name))
    dtype = keras.backend.standardize_dtype(embeddings.dtype)
    if dtype in ("float16", "bfloat16"):
        embeddings = ops.cast(embeddings, "float32")
    return labels, embeddings, dtype


def _masks(labels, dtype):
    """(positive pairs i != j with the same label, negative pairs) as float matrices."""
    same = ops.equal(ops.expand_dims(labels, 1), ops.expand_dims(labels, 0))
    n = ops.shape(labels)[0]
    eye = ops.eye(n, dtype=dtype)
    positive = ops.cast(same, dtype) - eye
    negative = 1.0 - ops.cast(same, dtype)
    return positive, negative


def _clamp0(x):
    """``max(x, 0)`` with TensorFlow's gradient at 0 on every backend: 1 where ``x >= 0``.

    (``ops.maximum`` passes a tie's gradient whole on TensorFlow, which tfa's values record,
    but halves it on JAX; a ``where`` is the same on both.)
    """
    return ops.where(x >= 0.0, x, ops.zeros_like(x))


def _masked_maximum(data, mask):
    """Per row, the largest ``data`` where ``mask`` is 1; the row minimum where it is empty."""
    low = ops.min(data, axis=1, keepdims=True)
    return ops.max((data - low) * mask, axis=1, keepdims=True) + low


def _masked_minimum(data, mask):
    """Per row, the smallest ``data`` where ``mask`` is 1; the row maximum where it is empty."""
    high = ops.max(data, axis=1, keepdims=True)
    return ops.min((data - high) * mask, axis=1, keepdims=True) + high


def pairwise_distance(feature, squared=False):
    """The ``(B, B)`` Euclidean distances of the rows of ``feature`` (squared if asked).

    The expanded form ``|a|^2 + |b|^2 - 2 a.b``, clamped at 0 (rounding makes it negative for
    near-identical rows); where it is 0 the distance and its gradient are 0 (no infinite
    derivative of the square root); the diagonal is exactly 0. As tfa's ``pairwise_distance``.
    """
    feature = ops.convert_to_tensor(feature)
    sq = ops.sum(ops.square(feature), axis=1, keepdims=True)
    dist2 = sq + ops.transpose(sq) - 2.0 * ops.matmul(feature, ops.transpose(feature))
    dist2 = _clamp0(dist2)
    zero = ops.cast(dist2 <= 0.0, feature.dtype)
    dist = dist2 if squared else ops.sqrt(dist2 + zero * 1e-16)
    dist = dist * (1.0 - zero)
    n = ops.shape(feature)[0]
    return dist * (1.0 - ops.eye(n, dtype=feature.dtype))


def angular_distance(feature):
    """``max(1 - cos(a, b), 0)`` for every pair of rows (rows L2-normalised first).

    The normalisation divides by ``sqrt(max(|a|^2, 1e-12))``, so a zero row has distance 1 to
    every row, itself included: the diagonal is not zeroed (as tfa).
    """
    feature = ops.convert_to_tensor(feature)
    norm = ops.sqrt(ops.maximum(ops.sum(ops.square(feature), axis=1, keepdims=True), 1e-12))
    unit = feature / norm
    return _clamp0(1.0 - ops.matmul(unit, ops.transpose(unit)))


def _distances(embeddings, distance_metric):
    if callable(distance_metric):
        return ops.cast(distance_metric(embeddings), embeddings.dtype)
    if distance_metric == "angular":
        return angular_distance(embeddings)
    return pairwise_distance(embeddings, squared=distance_metric == "squared-L2")


def _mean_over_rows(x):
    """The mean of ``x`` over its rows; 0 for an empty batch (not 0/0)."""
    rows = ops.cast(ops.shape(x)[0], x.dtype)
    return ops.sum(x) / ops.maximum(rows, 1.0)


def _empty(x, dtype):
    """The loss of an empty batch: 0 (no pair at all), connected to ``x`` for the gradient."""
    return _finish(ops.sum(x) * 0.0, dtype)


def _finish(value, dtype):
    return ops.cast(value, dtype)


class _BatchLoss(Loss):
    """A loss that returns one scalar per batch: ``sample_weight`` is rejected."""

    def __call__(self, y_true, y_pred, sample_weight=None):
        if sample_weight is not None:
            raise ValueError(
                f"{self.name}: sample_weight is not supported: this loss compares the samples "
                "of a batch with each other and returns one scalar per batch, so a weight per "
                "sample has no meaning (pass sample_weight=None)")
        # One scalar: every reduction is the identity, so Keras's reduction step is skipped
        # (it would also cast the labels to the loss dtype; large ids would then collide).
        y_true = convert_input(self.name, self.input_names[0], y_true)
        y_pred = as_float_tensor(convert_input(self.name, self.input_names[1], y_pred))
        return self.call(y_true, ops.cast(y_pred, self.dtype))


# --------------------------------------------------------------------------- triplet losses


def _compact(flags, n):
    """Per row, the positions of the True entries of ``flags`` ``(n, n)``, in order, padded
    with ``n``: ``out[a, c]`` is the position of the ``c``-th True of row ``a`` (shape
    ``(n, n + 1)``). A segment sum (each True adds its position to the slot numbered by the
    Trues before it; the others add 0), O(n^2) without a sort.
    """
    flags = ops.cast(flags, "int32")
    slot = ops.cumsum(flags, axis=1) - flags                         # Trues before j
    position = ops.expand_dims(ops.arange(n, dtype="int32"), 0)
    rows = ops.expand_dims(ops.arange(n, dtype="int32"), 1)
    ids = ops.reshape(rows * (n + 1) + slot, (-1,))
    values = ops.reshape(flags * (position - n), (-1,))
    out = ops.segment_sum(values, ids, num_segments=n * (n + 1))
    return ops.reshape(out, (n, n + 1)) + n


def _take(x, index):
    return ops.take_along_axis(x, index, axis=1)


def _tie_shared(value, tied, tied_sum, d, n):
    """The selected distance ``value``, with tfa's gradient: shared among the tied negatives.

    tfa takes ``min_n((d_an - M_a) mask_an) + M_a`` (``M_a`` the row maximum), whose gradient
    is split evenly among the ``c`` entries at the minimum: the ``t`` negatives tied at the
    selected distance (``c = t``), or, when that distance is the row maximum itself, all ``B``
    entries of the row (the masked-out ones are 0 there too), the rest going to ``M_a``. The
    value is the selected distance; the gradient comes from that expression written with the
    sum of the tied distances (``tied_sum``).
    """
    top = ops.max(d, axis=1, keepdims=True)
    shared = ops.where(value >= top, ops.cast(n, d.dtype), tied)
    surrogate = (tied_sum - tied * top) / shared + top
    return ops.stop_gradient(value) + (surrogate - ops.stop_gradient(surrogate))


@register
def triplet_semihard_loss(y_true, y_pred, margin=1.0, distance_metric="L2"):
    """FaceNet's semi-hard triplet loss of a batch (tfa ``triplet_semihard_loss``), a scalar.

    ``y_true``: integer labels ``(B,)``; ``y_pred``: embeddings ``(B, D)`` (L2-normalise them
    first: the loss does not, except with ``distance_metric="angular"``). For every ordered
    positive pair ``(a, p)`` (same label, ``a != p``) the negative is the closest one farther
    than the positive, ``n = argmin {d(a, n) : d(a, n) > d(a, p)}`` (semi-hard); when there is
    none, the farthest negative of ``a`` (and with no negative at all, the row minimum of
    ``d(a, .)``, 0 for L2). Then

        loss = sum_(a,p) max(margin + d(a, p) - d(a, n), 0) / (number of positive pairs).

    ``margin = 0`` only penalises triplets whose negative is closer than the positive.
    A batch with no positive pair gives **0** (refs; tfa returns NaN), with a zero gradient.

    Complexity: O(B^2) memory and O(B^2 log B) time (one row-wise sort of the B x B distance
    matrix, then cumulative sums, gathers and segment sums). tfa tiles the distance matrix to
    ``B^2 x B`` (a masked minimum per anchor-positive pair); here the number ``c`` of negatives
    with ``d(a, n) <= d(a, p)`` is read from a running count at the end of ``d(a, p)``'s run of
    equal distances, and the semi-hard negative is the ``(c + 1)``-th negative of the sorted
    row. Negatives tied at the selected distance share its gradient as in tfa.

    Example::

        >>> float(triplet_semihard_loss([0, 0, 1, 1], [[1, 0], [.8, .6], [0, 1], [-.6, .8]]))
        0.4781...
    """
    margin = check_non_negative("margin", margin)
    distance_metric = _check_metric(distance_metric)
    labels, emb, dtype = _batch_inputs("triplet_semihard_loss", y_true, y_pred)
    if emb.shape[0] == 0:
        return _empty(emb, dtype)
    d = _distances(emb, distance_metric)
    positive, negative = _masks(labels, d.dtype)
    n = ops.shape(d)[0]

    # One row-wise sort of all distances. In sorted order: runs of equal distances (tie
    # groups, [first, last]), the running count of negatives C, and for each position j the
    # number of negatives with a distance <= s[:, j], ties included: C at the end of j's run.
    order = ops.argsort(d, axis=1)
    s = _take(d, order)
    neg_sorted = _take(negative, order)
    pos_sorted = _take(positive, order)
    starts = ops.concatenate(
        [ops.ones((n, 1), dtype="bool"), ops.not_equal(s[:, 1:], s[:, :-1])], axis=1)
    group = ops.cumsum(ops.cast(starts, "int32"), axis=1) - 1
    run_start = _compact(starts, n)
    first = _take(run_start, group)
    last = _take(run_start, group + 1) - 1
    negatives_so_far = ops.cumsum(ops.cast(neg_sorted, "int32"), axis=1)
    count = _take(negatives_so_far, last)
    num_negatives = negatives_so_far[:, -1:]

    # The semi-hard negative of (a, p) is the (count + 1)-th negative of the sorted row: the
    # first one after p's run, so strictly farther than p.
    where_negative = _compact(neg_sorted > 0, n)
    at = ops.minimum(_take(where_negative, ops.minimum(count, n)), n - 1)
    value = _take(s, at)
    # tfa's gradient (shared among the c entries at the minimum; see _tie_shared): the tied
    # negatives are the negatives of the selected run, summed by a difference of cumsums.
    lo, hi = _take(first, at), _take(last, at)
    before = ops.maximum(lo - 1, 0)
    tied = _take(negatives_so_far, hi) - ops.where(lo > 0, _take(negatives_so_far, before), 0)
    running = ops.cumsum(neg_sorted * s, axis=1)
    tied_sum = _take(running, hi) - ops.where(lo > 0, _take(running, before), 0.0)
    outside = _tie_shared(value, ops.cast(tied, d.dtype), tied_sum, d, n)
    inside = _masked_maximum(d, negative)  # the farthest negative (row minimum if none)
    semi_hard = ops.where(count < num_negatives, outside, inside)

    loss = _clamp0((margin + s - semi_hard) * pos_sorted)
    num_positives = ops.sum(positive)
    value = ops.sum(loss) / ops.maximum(num_positives, 1.0)
    return _finish(value, dtype)


@register
def triplet_hard_loss(y_true, y_pred, margin=1.0, soft=False, distance_metric="L2"):
    """Batch-hard triplet loss (tfa ``triplet_hard_loss``): the mean over anchors, a scalar.

    Per anchor ``a``: the hardest positive ``P = max_p d(a, p)`` (the row minimum if ``a`` has
    no positive: 0 for L2) and the hardest negative ``N = min_n d(a, n)`` (the row maximum if
    it has none); the loss is ``max(P - N + margin, 0)``, or ``softplus(P - N)`` with
    ``soft=True`` (``margin`` is then ignored). Finite on every label pattern.
    O(B^2) memory and time.

    Example::

        >>> float(triplet_hard_loss([0, 0, 1, 1], [[1, 0], [.8, .6], [0, 1], [-.6, .8]]))
        0.4781...
    """
    margin = check_non_negative("margin", margin)
    soft = check_bool("soft", soft)
    distance_metric = _check_metric(distance_metric)
    labels, emb, dtype = _batch_inputs("triplet_hard_loss", y_true, y_pred)
    if emb.shape[0] == 0:
        return _empty(emb, dtype)
    d = _distances(emb, distance_metric)
    positive, negative = _masks(labels, d.dtype)
    hardest_positive = _masked_maximum(d, positive)
    hardest_negative = _masked_minimum(d, negative)
    gap = hardest_positive - hardest_negative
    loss = ops.softplus(gap) if soft else _clamp0(gap + margin)
    return _finish(_mean_over_rows(loss), dtype)


@register
class TripletSemiHardLoss(_BatchLoss):
    """Semi-hard triplet loss of a batch (see :func:`triplet_semihard_loss`); tfa's class.

    ``loss(labels (B,), embeddings (B, D))`` is one scalar per batch; ``sample_weight`` is
    rejected and ``reduction`` has no effect (tfa forces NONE).

    Example: ``model.compile(loss=TripletSemiHardLoss(margin=0.5))`` on L2-normalised outputs.
    """

    def __init__(self, margin=1.0, distance_metric="L2", name=None, reduction="none",
                 dtype=None):
        super().__init__(triplet_semihard_loss, reduction=reduction, name=name, dtype=dtype,
                         margin=check_non_negative("margin", margin),
                         distance_metric=_check_metric(distance_metric))


@register
class TripletHardLoss(_BatchLoss):
    """Batch-hard triplet loss (see :func:`triplet_hard_loss`); tfa's class.

    One scalar per batch; ``sample_weight`` is rejected and ``reduction`` has no effect.

    Example: ``TripletHardLoss(margin=1.0, soft=True)(labels, embeddings)``.
    """

    def __init__(self, margin=1.0, soft=False, distance_metric="L2", name=None,
                 reduction="none", dtype=None):
        super().__init__(triplet_hard_loss, reduction=reduction, name=name, dtype=dtype,
                         margin=check_non_negative("margin", margin),
                         soft=check_bool("soft", soft),
                         distance_metric=_check_metric(distance_metric))


# --------------------------------------------------------------------------- lifted structure


@register
def lifted_struct_loss(labels, embeddings, margin=1.0):
    """Lifted structured loss (Oh Song et al. 2016; tfa ``lifted_struct_loss``), a scalar.

    ``labels`` ``(B,)``, ``embeddings`` ``(B, D)`` (not normalised), L2 distances ``d``. For
    every positive pair ``(i, j)``

        J_ij = log(sum_(k in neg(i)) exp(margin - d_ik) + sum_(k in neg(j)) exp(margin - d_jk))
               + d_ij

    and ``loss = 0.25 sum_(i != j positive) max(J_ij, 0)^2 / (number of positive pairs / 2)``.
    A larger ``margin`` pushes negatives farther (every pair costs until its negatives are
    about ``margin`` beyond it); ``margin = 0`` still penalises each pair by its softmax over
    negatives. The log-sum-exp is shifted by each row's largest negative term, so it never
    overflows.
    A batch with no positive pair, or with no negative (one class), gives **0** (refs; tfa
    returns NaN), with a zero gradient. O(B^2) memory: ``sum_k exp(margin - d_ik - m)`` is one
    vector, rescaled per pair by ``exp(m_i - max(m_i, m_j))`` (tfa tiles a ``B^2 x B`` tensor).

    Example::

        >>> float(lifted_struct_loss([0, 0, 1, 1], [[1, 0], [.8, .6], [0, 1], [-.6, .8]]))
        1.4328...
    """
    margin = check_non_negative("margin", margin)
    labels, emb, dtype = _batch_inputs("lifted_struct_loss", labels, embeddings,
                                       labels_name="labels", embeddings_name="embeddings")
    if emb.shape[0] == 0:
        return _empty(emb, dtype)
    d = pairwise_distance(emb)
    positive, negative = _masks(labels, d.dtype)
    diff = margin - d
    row_max = _masked_maximum(diff, negative)  # m_i (the row minimum if i has no negative)
    shifted = ops.where(negative > 0, diff - row_max, 0.0)
    row_sum = ops.sum(ops.where(negative > 0, ops.exp(shifted), 0.0), axis=1, keepdims=True)
    pair_max = ops.maximum(row_max, ops.transpose(row_max))
    inner = (row_sum * ops.exp(row_max - pair_max)
             + ops.transpose(row_sum) * ops.exp(ops.transpose(row_max) - pair_max))
    ok = inner > 0.0
    j = pair_max + ops.log(ops.where(ok, inner, 1.0)) + d
    j = ops.where(ok, j, 0.0)
    num_pairs = ops.sum(positive) / 2.0
    value = 0.25 * ops.sum(ops.square(_clamp0(positive * j)))
    value = value / ops.maximum(num_pairs, 1.0)
    value = ops.where(ops.sum(negative) > 0, value, 0.0)
    return _finish(value, dtype)


@register
class LiftedStructLoss(_BatchLoss):
    """Lifted structured loss (see :func:`lifted_struct_loss`); tfa's class.

    One scalar per batch; ``sample_weight`` is rejected and ``reduction`` has no effect.

    Example: ``LiftedStructLoss(margin=1.0)(labels, embeddings)``.
    """

    def __init__(self, margin=1.0, name=None, reduction="none", dtype=None):
        super().__init__(lifted_struct_loss, reduction=reduction, name=name, dtype=dtype,
                         margin=check_non_negative("margin", margin))


# --------------------------------------------------------------------------- contrastive


@register
def contrastive_loss(y_true, y_pred, margin=1.0):
    """Contrastive loss of pairs (Hadsell et al. 2006; tfa ``contrastive_loss``), per pair.

    ``y_true``: 1 for a similar pair, 0 for a dissimilar one; ``y_pred``: the pair's distance
    ``d >= 0`` (computed by the caller, e.g. ``|a - b|_2``). Per entry, no mean over any axis:

        loss = y d^2 + (1 - y) max(margin - d, 0)^2

    Dissimilar pairs farther than ``margin`` cost nothing (``margin = 0``: only similar pairs
    count). Negative distances are rejected (eager inputs).

    Example::

        >>> contrastive_loss([1, 0], [0.5, 0.2], margin=1.0)   # [0.25, 0.64]
    """
    margin = check_non_negative("margin", margin)
    loss = "contrastive_loss"
    y_true = convert_input(loss, "y_true", y_true)
    y_pred = as_float_tensor(convert_input(loss, "y_pred", y_pred))
    y_true = ops.cast(y_true, y_pred.dtype)
    a, b = static_shape(y_true), static_shape(y_pred)
    if a is not None and b is not None and (len(a) != len(b) or any(
            p is not None and q is not None and p != q for p, q in zip(a, b))):
        raise ValueError(f"{loss}: y_true and y_pred must have the same shape (one label per "
                         f"distance), got y_true {a} and y_pred {b}")
    if b is not None and (len(b) == 0 or len(b) > 1 and b[-1] == 0):
        raise ValueError(f"{loss}: y_pred (pair distances) must have shape (batch,) or "
                         f"(batch, ..., k) with k > 0, got shape {b}")
    check_values(loss, y_true, y_pred, true_range=(0.0, 1.0), pred_range=(0.0, float("inf")),
                 true_hint="1 marks a similar pair, 0 a dissimilar one",
                 pred_hint="y_pred holds pair distances, which are >= 0")
    margin = ops.convert_to_tensor(margin, dtype=y_pred.dtype)
    return (y_true * ops.square(y_pred)
            + (1.0 - y_true) * ops.square(ops.maximum(margin - y_pred, 0.0)))


@register
class ContrastiveLoss(Loss):
    """Contrastive loss of pair distances (see :func:`contrastive_loss`); tfa's class.

    Per pair, then ``reduction`` (default ``"sum_over_batch_size"``) and ``sample_weight``
    (one weight per pair) as every Keras loss.

    Example: ``ContrastiveLoss(margin=1.0)([1, 0], [0.5, 0.2])`` is (0.25 + 0.64) / 2.
    """

    def __init__(self, margin=1.0, reduction="sum_over_batch_size", name="contrastive_loss",
                 dtype=None):
        super().__init__(contrastive_loss, reduction=reduction, name=name, dtype=dtype,
                         margin=check_non_negative("margin", margin))


# --------------------------------------------------------------------------- N-pairs


def _softmax_cross_entropy(targets, logits):
    return -ops.sum(targets * ops.log_softmax(logits, axis=1), axis=1)


@register
def npairs_loss(y_true, y_pred):
    """N-pairs loss (Sohn 2016; tfa ``npairs_loss``): a scalar.

    ``y_true``: integer labels ``(B,)``; ``y_pred``: the similarity matrix ``(B, B)``,
    ``anchors @ positives.T`` (computed by the caller). The mean over rows of the softmax
    cross-entropy of row ``i`` against the targets ``[label_i == label_j] / count``.
    O(B^2).

    Example::

        >>> float(npairs_loss([0, 1], [[5.0, 0.0], [0.0, 5.0]]))   # log(1 + e^-5)
        0.006715...
    """
    labels, sim, dtype = _batch_inputs("npairs_loss", y_true, y_pred, what="similarities",
                                       square=True)
    if sim.shape[0] == 0:
        return _empty(sim, dtype)
    same = ops.cast(ops.equal(ops.expand_dims(labels, 1), ops.expand_dims(labels, 0)),
                    sim.dtype)
    targets = same / ops.sum(same, axis=1, keepdims=True)
    return _finish(_mean_over_rows(_softmax_cross_entropy(targets, sim)), dtype)


@register
def npairs_multilabel_loss(y_true, y_pred):
    """Multi-label N-pairs loss (tfa ``npairs_multilabel_loss``): a scalar.

    ``y_true``: multi-hot labels ``(B, K)`` (dense; tfa also takes a SparseTensor);
    ``y_pred``: the similarity matrix ``(B, B)``. Targets are the rows of ``Y Y^T`` (shared
    labels) normalised to sum 1; the loss is the mean over rows of the softmax cross-entropy.
    A row with no label has no target: refs leaves it out of the mean (tfa returns NaN), and a
    batch without any label gives 0. O(B^2 + B K).

    Example::

        >>> float(npairs_multilabel_loss([[1, 0], [0, 1]], [[5.0, 0.0], [0.0, 5.0]]))
        0.006715...
    """
    loss = "npairs_multilabel_loss"
    y_true = convert_input(loss, "y_true", y_true)
    sim = as_float_tensor(convert_input(loss, "y_pred", y_pred))
    t_shape, s_shape = static_shape(y_true), static_shape(sim)
    if t_shape is not None and len(t_shape) != 2:
        raise ValueError(f"{loss}: y_true (multi-hot labels) must have shape (batch, "
                         f"num_labels), got shape {t_shape}")
    if s_shape is not None and len(s_shape) != 2:
        raise ValueError(f"{loss}: y_pred (similarities) must have shape (batch, batch), got "
                         f"shape {s_shape}")
    if t_shape is not None and s_shape is not None and None not in (t_shape[0], *s_shape):
        if s_shape[0] != s_shape[1]:
            raise ValueError(f"{loss}: y_pred must be a square (batch, batch) similarity "
                             f"matrix, got shape {s_shape}")
        if t_shape[0] != s_shape[0]:
            raise ValueError(f"{loss}: y_true has {t_shape[0]} rows but y_pred has "
                             f"{s_shape[0]} (one multi-hot row per sample)")
    check_values(loss, y_true, sim, true_range=(0.0, 1.0),
                 true_hint="y_true holds multi-hot labels (0 or 1)")
    dtype = keras.backend.standardize_dtype(sim.dtype)
    if dtype in ("float16", "bfloat16"):
        sim = ops.cast(sim, "float32")
    if sim.shape[0] == 0:
        return _empty(sim, dtype)
    y = ops.cast(y_true, sim.dtype)
    shared = ops.matmul(y, ops.transpose(y))
    total = ops.sum(shared, axis=1, keepdims=True)
    has_label = ops.cast(total > 0, sim.dtype)
    targets = shared / ops.where(total > 0, total, 1.0)
    rows = _softmax_cross_entropy(targets, sim)
    value = ops.sum(rows * has_label[:, 0]) / ops.maximum(ops.sum(has_label), 1.0)
    return _finish(value, dtype)


@register
class NpairsLoss(_BatchLoss):
    """N-pairs loss (see :func:`npairs_loss`); tfa's class.

    ``loss(labels (B,), similarities (B, B))`` is one scalar per batch; ``sample_weight`` is
    rejected and ``reduction`` has no effect.

    Example: ``NpairsLoss()(labels, anchors @ positives.T)``.
    """

    def __init__(self, name="npairs_loss", reduction="none", dtype=None):
        super().__init__(npairs_loss, reduction=reduction, name=name, dtype=dtype)


@register
class NpairsMultilabelLoss(_BatchLoss):
    """Multi-label N-pairs loss (see :func:`npairs_multilabel_loss`); tfa's class.

    One scalar per batch; ``sample_weight`` is rejected and ``reduction`` has no effect.

    Example: ``NpairsMultilabelLoss()(multi_hot, anchors @ positives.T)``.
    """

    def __init__(self, name="npairs_multilabel_loss", reduction="none", dtype=None):
        super().__init__(npairs_multilabel_loss, reduction=reduction, name=name, dtype=dtype)


# --------------------------------------------------------------------------- circle (Keras 3)


def _masked_logsumexp(x, mask):
    """Row-wise log-sum-exp of ``x`` where ``mask``; (value, row has an entry)."""
    has = ops.any(mask, axis=1)
    low = ops.convert_to_tensor(-1e30, dtype=x.dtype)  # inputs are float32 or float64 here
    top = ops.max(ops.where(mask, x, low), axis=1, keepdims=True)
    top = ops.where(ops.expand_dims(has, 1), top, 0.0)
    total = ops.sum(ops.where(mask, ops.exp(ops.where(mask, x - top, 0.0)), 0.0), axis=1)
    return top[:, 0] + ops.log(ops.where(has, total, 1.0)), has


@register
def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True,
           gamma=80.0, margin=0.4):
    """Circle loss (Sun et al. 2020; Keras 3.15 ``keras.losses.circle``), one value per anchor.

    ``y_true``: integer labels ``(B,)``; ``y_pred``: L2-normalised embeddings ``(B, D)``;
    ``ref_labels`` / ``ref_embeddings`` (default: the batch itself) are what each anchor is
    compared with. With the cosine distance ``d = max(1 - a.r, 0)`` (similarity ``s = 1 - d``):

        pos: alpha_p = max(margin + d, 0),     logit_p = -gamma alpha_p (margin - d)
        neg: alpha_n = max(1 + margin - d, 0), logit_n =  gamma alpha_n (1 - margin - d)
        loss = softplus(logsumexp_pos(logit_p) + logsumexp_neg(logit_n))

    ``remove_diagonal`` drops ``r = a`` from the positives (when the references are the batch).
    An anchor with no positive or no negative gives 0 (Keras: softplus(-inf) = 0) with a zero
    gradient, as in Keras (refs masks the empty log-sum-exp instead of computing it on -inf).
    ``gamma`` scales the logits (large: close to the hardest pair only); ``margin`` relaxes the
    optimum (0: the tightest).

    Example::

        >>> circle([0, 0, 1], [[1., 0.], [.8, .6], [0., 1.]])   # anchor 2 has no positive
        [1.87e-10, 6.4017, 0.0]
    """
    gamma = check_positive("gamma", gamma)
    margin = check_non_negative("margin", margin)
    remove_diagonal = check_bool("remove_diagonal", remove_diagonal)
    labels, emb, dtype = _batch_inputs("circle", y_true, y_pred)
    if emb.shape[0] == 0:
        return _finish(ops.sum(emb, axis=1), dtype)  # no anchors: an empty (0,) loss
    if ref_embeddings is None:
        ref = emb
    else:
        ref = ops.cast(convert_input("circle", "ref_embeddings", ref_embeddings), emb.dtype)
    if ref_labels is None:
        ref_lab = labels
    else:
        ref_lab = ops.reshape(convert_input("circle", "ref_labels", ref_labels), (-1,))
    same = ops.equal(ops.expand_dims(labels, 1), ops.expand_dims(ref_lab, 0))
    negative = ops.logical_not(same)
    positive = same
    if remove_diagonal:
        n, m = ops.shape(emb)[0], ops.shape(ref)[0]
        positive = ops.logical_and(same, ops.logical_not(ops.cast(ops.eye(n, m), "bool")))
    d = _clamp0(1.0 - ops.matmul(emb, ops.transpose(ref)))
    alpha_p = _clamp0(ops.where(positive, margin + d, 0.0))
    alpha_n = _clamp0(ops.where(negative, 1.0 + margin - d, 0.0))
    logit_p = -gamma * alpha_p * (margin - d)
    logit_n = gamma * alpha_n * (1.0 - margin - d)
    lse_p, has_p = _masked_logsumexp(logit_p, positive)
    lse_n, has_n = _masked_logsumexp(logit_n, negative)
    ok = ops.logical_and(has_p, has_n)
    loss = ops.where(ok, ops.softplus(ops.where(ok, lse_p + lse_n, 0.0)), 0.0)
    return _finish(loss, dtype)


@register
class Circle(Loss):
    """Circle loss (see :func:`circle`); Keras 3.15's ``keras.losses.Circle``.

    Per anchor, then Keras's reduction with Keras's mask ``loss > 0``: "sum_over_batch_size"
    (and "mean") divide the (weighted) sum by the number of anchors whose loss is positive
    (anchors without a positive or a negative drop out; a batch where none is positive gives
    0); "sum" sums; "none" returns the weighted per-anchor losses; "mean_with_sample_weight"
    divides by the sum of the weights of the positive anchors.

    Example: ``Circle(gamma=80.0, margin=0.4)(labels, l2_normalised_embeddings)``.
    """

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True,
                 reduction="sum_over_batch_size", name="circle", dtype=None):
        super().__init__(circle, reduction=reduction, name=name, dtype=dtype,
                         gamma=check_positive("gamma", gamma),
                         margin=check_non_negative("margin", margin),
                         remove_diagonal=check_bool("remove_diagonal", remove_diagonal))

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_true = convert_input(self.name, "y_true", y_true)
        y_pred = ops.cast(as_float_tensor(convert_input(self.name, "y_pred", y_pred)),
                          self.dtype)
        losses = self.call(y_true, y_pred)
        mask = ops.cast(losses > 0.0, losses.dtype)
        if sample_weight is None:
            weights = ops.ones_like(losses)
        else:
            sample_weight = convert_input(self.name, "sample_weight", sample_weight)
            check_values(self.name, y_pred=sample_weight, names=("", "sample_weight"))
            sw_shape, l_shape = static_shape(sample_weight), static_shape(losses)
            if sw_shape is not None and l_shape is not None and len(sw_shape) > 0 and (
                    sw_shape[0] is not None and l_shape[0] is not None
                    and tuple(sw_shape) != tuple(l_shape)):
                raise ValueError(f"{self.name}: sample_weight of shape {sw_shape} does not "
                                 f"match the per-anchor losses of shape {l_shape} (one weight "
                                 "per sample)")
            weights = ops.cast(sample_weight, losses.dtype) * ops.ones_like(losses)
        weighted = losses * weights * mask
        reduction = self.reduction
        if reduction in ("none", None):
            return weighted
        total = ops.sum(weighted)
        if reduction == "sum":
            return total
        if reduction == "mean_with_sample_weight":
            return ops.divide_no_nan(total, ops.sum(weights * mask))
        return ops.divide_no_nan(total, ops.sum(mask))
