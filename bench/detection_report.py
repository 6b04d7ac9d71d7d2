"""Write the detection sections of ``docs/results.md`` and ``docs/benchmarks.md`` from the JSON
files in ``docs/data/`` (written by the other ``bench/detection_*.py`` scripts).

Only the text between ``<!-- detection:start -->`` and ``<!-- detection:end -->`` is replaced
(the markers are appended when missing); other areas' sections are left alone.

    python bench/detection_report.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from detection_common import read_json  # noqa: E402

from refs.tracking.docs import replace_marked_section  # noqa: E402

DOCS = Path(__file__).resolve().parents[1] / "docs"
def _machine(m: dict | None) -> str:
    if not m:
        return "unknown machine"
    load = m.get("loadavg_at_end")
    load_txt = f", load average {load[0]:.1f} at the end" if load else ""
    return f"{m.get('cpu_count')} CPU cores, shared{load_txt} ({m.get('date_utc')})"


def quality_section() -> str:
    q = read_json("detection_quality.json")
    if not q:
        return "No quality run recorded yet (`python bench/detection_quality.py`).\n"
    t = q["test"]
    from refs.detection.config import TrainConfig

    default = TrainConfig().hparams()
    # what a run recorded before a setting existed behaved like (the settings' "off" values)
    before = {"distribution": "canonical", "input_norm": "none", "head_norm": "none",
              "assigner": "iou", "background": "black", "clutter_fraction": 0.0,
              "canonical_fraction": 0.0, "min_scale": 12.0, "max_scale": 64.0}
    stale = sorted(k for k, v in default.items()
                   if q["hparams"].get(k, before.get(k, v)) != v
                   and k not in ("data", "verbose", "draw_images", "log_every"))
    stale_txt = (f"**This run predates the current default** (it differs in {', '.join(stale)}); "
                 "`python bench/detection_quality.py` records the current one. " if stale else "")
    ok50 = "met" if t["mAP50"] >= 0.95 else "not met"
    ok = "met" if t["mAP"] >= 0.75 else "not met"
    minutes = q["train_time_s"] / 60
    hp = q["hparams"]
    cut = ""
    if q.get("stopped_by_max_minutes"):
        cut = (f" The run was started with `--max-minutes 20` and stopped by it after "
               f"{q['steps']} of its {q['planned_steps']} planned steps ({hp['epochs']}-epoch "
               "schedule).")
    lines = [
        f"{stale_txt}Run `{q['run_dir']}`: {hp['train_images']} training canvases, batch "
        f"{hp['batch_size']}, AdamW with cosine decay, focal loss (gamma {hp['gamma']:g}, alpha "
        f"{hp['alpha']:g}), trained in **{minutes:.1f} min** on {_machine(q['machine'])}.{cut} "
        f"Test set: {t['num_images']} canvases of MNIST test digits "
        "(`python -m refs.detection.evaluate RUN_DIR`).",
        "",
        "| metric | ours | target |",
        "|---|---|---|",
        f"| mAP@[.5:.95] | {t['mAP']:.3f} | >= 0.75 ({ok}) |",
        f"| mAP@.5 | {t['mAP50']:.3f} | >= 0.95 ({ok50}) |",
        f"| mAP@.75 | {t['mAP75']:.3f} | |",
        f"| train time (incl. per-epoch validation) | {minutes:.1f} min | <= 20 min "
        f"({'met' if minutes <= 20 else 'not met'}) |",
        "",
        "Per-class AP@[.5:.95]: " + ", ".join(f"{k}: {v:.2f}"
                                              for k, v in t["per_class_AP"].items()),
        "",
        "Validation mAP by epoch: " + ", ".join(f"{c['epoch']}: {c['val_mAP']:.3f}"
                                                for c in q["val_curve"]),
        "",
        "![validation canvases: true boxes green, predictions (score >= 0.3) red]"
        "(figures/detection_val_detections.png)",
        "",
        "![learning curves](figures/detection_learning_curves.png)",
    ]
    return "\n".join(lines) + "\n"


def speed_section() -> str:
    s = read_json("detection_speed.json")
    if not s:
        return ""
    return (f"Inference, batch 32, 128x128 canvases ({s['params']:,} parameters, "
            f"{_machine(s['machine'])}): network {s['network_images_per_s']:.0f} images/s, "
            f"end to end with decoding and per-class NMS {s['end_to_end_images_per_s']:.0f} "
            "images/s (`python bench/detection_speed.py`).\n")


def ablation_section() -> str:
    a = read_json("detection_ablation.json")
    if not a or not a.get("results"):
        return "The focal-loss ablation has not been run yet (`bench/detection_ablation.py`).\n"
    b, r = a["budget"], a["results"]
    steps = b["epochs"] * -(-b["train_images"] // b["batch_size"])
    lines = [
        f"Budget per configuration (the same for all): {b['epochs']} epochs over "
        f"{b['train_images']} training canvases, batch {b['batch_size']} ({steps} steps, "
        f"{steps / default_steps():.0%} of the default run's, so the mAPs are far from "
        "converged: the table ranks early learning); "
        "test mAP on "
        f"{b['test_images']} test canvases; one seed. {_machine(a.get('machine'))}.",
        "",
        "mAP@[.5:.95] (mAP@.5) of the focal loss:",
        "",
        "| gamma \\ alpha | 0.25 | 0.5 | 0.75 |",
        "|---|---|---|---|",
    ]
    for g in (0.0, 0.5, 1.0, 2.0, 5.0):
        cells = []
        for al in (0.25, 0.5, 0.75):
            rec = r.get(f"focal-g{g:g}-a{al:g}")
            cells.append("not run" if rec is None else
                         ("diverged" if rec["diverged"] else
                          f"{rec['mAP']:.3f} ({rec['mAP50']:.3f})"))
        lines.append(f"| {g:g} | " + " | ".join(cells) + " |")
    lines += ["", "| plain BCE | mAP@[.5:.95] | mAP@.5 | first-steps cls loss | max cls loss |",
              "|---|---|---|---|---|"]
    for key, label in (("bce-prior", "with prior init (pi = 0.01)"),
                       ("bce-no-prior", "without prior init (bias 0)")):
        rec = r.get(key)
        if rec is None:
            lines.append(f"| {label} | not run | | | |")
        else:
            state = "diverged" if rec["diverged"] else f"{rec['mAP']:.3f}"
            lines.append(f"| {label} | {state} | {rec['mAP50']:.3f} | "
                         f"{rec['first_cls_loss']:.1f} | {rec['max_cls_loss']:.1f} |")
    lines += ["", findings(r, len(grid_ids()))]
    full = read_json("detection_ablation_full.json")
    if full and full.get("results"):
        fb, fr = full["budget"], full["results"]
        fsteps = fb["epochs"] * -(-fb["train_images"] // fb["batch_size"])
        rows = ", ".join(f"{k}: mAP {v['mAP']:.3f} (mAP@.5 {v['mAP50']:.3f})"
                         for k, v in fr.items())
        q = read_json("detection_quality.json")
        if q and "focal-g2-a0.25" not in fr:
            rows += (f"; the default run (gamma {q['hparams']['gamma']:g}, alpha "
                     f"{q['hparams']['alpha']:g}, same budget and seed): mAP "
                     f"{q['test']['mAP']:.3f} (mAP@.5 {q['test']['mAP50']:.3f})")
        lines += ["", f"At the full default budget ({fsteps} steps, {fb['test_images']} test "
                  f"canvases, `--out detection_ablation_full.json`): {rows}."]
    return "\n".join(lines) + "\n"


def default_steps() -> int:
    from refs.detection.config import TrainConfig

    c = TrainConfig()
    return c.epochs * -(-c.train_images // c.batch_size)


def peer_section() -> str:
    p = read_json("detection_peer.json")
    if not p:
        return ("The keras-cv comparison has not been run yet (`pip install -e '.[peers]'`, "
                "then `python bench/detection_peer.py`).\n")
    o, k = p["ours"], p["keras_cv"]
    verdict = []
    for key, label in (("mAP", "mAP"), ("images_per_s", "inference speed")):
        verdict.append(f"{label}: {'ours ahead' if o[key] > k[key] else 'keras-cv ahead'} "
                       f"({o[key] / max(k[key], 1e-9):.2f}x)" if k[key] > 0 else
                       f"{label}: ours ahead (keras-cv scored 0)")
    lines = [
        "`python bench/detection_peer.py` (extra `peers`: keras-cv 0.9.0), one script, "
        f"{_machine(p['machine'])}. Both train from scratch on the same synthetic canvases for "
        f"the same wall time ({p['budget_s'] / 60:.1f} min: ours' default run; keras-cv stops "
        f"when it is spent) and are scored with the same pycocotools code on the same "
        f"{p['test_images']} test canvases; inference is end to end (network, decoding, "
        f"per-class NMS), batch 32, {p['timing_images']} images, median of 3. keras-cv: "
        "`RetinaNet` with `CSPDarkNetBackbone` (channels 32/48/64/96, depth 1 per stage; its "
        "presets need a download), its own 256-channel FPN on P3-P7 and 256-channel heads (2 "
        "convolutions, as ours), our anchors and optimiser recipe (AdamW 2e-3, cosine, "
        "planned on its measured step time), its focal and smooth-L1 losses.",
        "",
        "| detector | parameters | training steps in the budget | train time (min) | "
        "mAP@[.5:.95] | mAP@.5 | mAP@.75 | inference images/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in (("refs.detection (default)", o), ("keras-cv RetinaNet", k)):
        lines.append(f"| {name} | {r['params']:,} | {r['steps']} | {r['train_time_s'] / 60:.1f} | "
                     f"{r['mAP']:.3f} | {r['mAP50']:.3f} | {r['mAP75']:.3f} | "
                     f"{r['images_per_s']:.1f} |")
    lines += ["", "Target: ours ahead in mAP and in inference images/s. " + "; ".join(verdict)
              + f". keras-cv measured {k['step_s']:.2f} s per training step before its run "
              f"and planned {k['planned_steps']} steps."]
    return "\n".join(lines) + "\n"


def grid_ids() -> list[str]:
    from detection_ablation import grid

    return [c["id"] for c in grid()]


def findings(r: dict, total: int) -> str:
    """What the numbers say about the paper's two claims (computed, not typed)."""
    done = [k for k in grid_ids() if k in r]
    out = [f"{len(done)} of {total} configurations were run"
           + ("." if len(done) == total else " (the rest did not fit in the time available).")]
    focal = {k: v for k, v in r.items() if k.startswith("focal") and not v["diverged"]}
    if len(focal) < 2:
        out.append("Too few focal configurations to compare; the paper's claim about gamma and "
                   "alpha is not tested here yet.")
    else:
        best = max(focal, key=lambda k: focal[k]["mAP"])
        order = sorted(focal, key=lambda k: -focal[k]["mAP"])
        ref = "focal-g2-a0.25"
        rank = (f"; gamma 2, alpha 0.25 ranks {order.index(ref) + 1} of {len(order)}"
                if ref in focal else "")
        out.append(f"Best focal setting here: {best} (mAP {focal[best]['mAP']:.3f}){rank}.")
    bp, bn = r.get("bce-prior"), r.get("bce-no-prior")
    if bp and bn:
        out.append(
            "Plain BCE with the prior init: mAP {:.3f}, first-steps cls loss {:.1f}; without "
            "it: {}, first-steps cls loss {:.1f} (max {:.1f}).".format(
                bp["mAP"], bp["first_cls_loss"],
                "diverged" if bn["diverged"] else f"mAP {bn['mAP']:.3f}",
                bn["first_cls_loss"], bn["max_cls_loss"]))
        out.append(
            "The paper's instability shows in the loss: without the prior every anchor starts "
            "at p = 0.5, and the background anchors' loss, normalised by the few positives, "
            f"starts {bn['first_cls_loss'] / bp['first_cls_loss']:.0f}x higher; "
            + ("here training diverged." if bn["diverged"] else
               "here it did not diverge, because the gradient is clipped (global norm 10) and "
               "AdamW's step size does not scale with the loss."))
    focal = {k: v for k, v in r.items() if k.startswith("focal") and not v["diverged"]}
    if len(focal) == total - 2:
        by_gamma = {}
        for v in focal.values():
            by_gamma.setdefault(v["gamma"], []).append(v["mAP"])
        means = ", ".join(f"{g:g}: {sum(m) / len(m):.3f}" for g, m in sorted(by_gamma.items()))
        out.append(f"Mean mAP over alpha, by gamma: {means}. At this short budget a small "
                   "gamma (0.5-1) learns fastest; gamma 5 down-weights even the moderately "
                   "hard anchors and barely learns in this budget. The paper's gamma = 2 optimum "
                   "is for full schedules; whether it holds here at convergence would need the "
                   "grid at the full budget (17 default runs of ~12 min each).")
    return " ".join(out)


def design_text() -> str:
    """How the default detector is built, from the defaults of ``TrainConfig`` (so it stays
    true when they change)."""
    from refs.detection.config import TrainConfig

    d = TrainConfig()
    if d.distribution == "wide":
        clutter = (f"{d.clutter_fraction:.0%} of them cluttered (any overlap, nesting, at least "
                   "half of each digit visible), " if d.clutter_fraction else "")
        data = (f"128x128 canvases of 0-{d.max_digits} MNIST digits of {d.min_scale:g}-"
                f"{d.max_scale:g} px (log-uniform), {clutter}Gaussian noise sigma 48u^2 and "
                "black, flat, bright, gradient or texture backgrounds drawn per canvas"
                + (f", {d.canonical_fraction:.0%} of the canvases canonical"
                   if d.canonical_fraction else ""))
    else:
        data = (f"128x128 canonical canvases of 1-{d.max_digits} MNIST digits of "
                f"{d.min_scale:g}-{d.max_scale:g} px")
    assign = ("ATSS (the 9 anchors nearest each object on every level are candidates; those "
              "with IoU above mean + std and their centre inside are positive)"
              if d.assigner == "atss" else
              f"IoU matching (>= {d.positive_iou} positive, < {d.negative_iou} negative, "
              "between ignored)")
    cls = {"quality": "the quality focal loss (IoU-aware classification, Li et al. 2020)",
           "focal": f"focal loss (gamma {d.gamma:g}, alpha {d.alpha:g})",
           "bce": "plain BCE"}[d.cls_loss]
    steps = d.epochs * -(-d.train_images // d.batch_size)
    return (
        "How it is built (`refs/detection/`, one file per step; `refs.detection.RetinaNet` is "
        f"all of it as one `keras.Model`): training on {data} (tight ink boxes, 5 % empty "
        "canvases; train/val/test from disjoint digit pools; the test canvases are always the "
        f"canonical ones); anchors on strides {'/'.join(str(s) for s in d.strides)} with base "
        f"sizes {'/'.join(f'{s:g}' for s in d.sizes)}, three octave scales and aspect ratios "
        f"w/h {', '.join(f'{r:g}' for r in d.aspect_ratios)} (digits are tall); {assign}, "
        "plus each object's best anchor; offsets with variances (0.1, 0.1, 0.2, 0.2); a "
        "5-stage residual backbone (16-96 channels) from scratch, a 64-channel FPN and two "
        "shared 2-conv subnets, class bias at the prior pi = 0.01; loss = "
        f"{cls} over non-ignored anchors / max(1, positives) + Huber; AdamW {d.lr:g} with "
        f"warmup and cosine decay, batch {d.batch_size}, {steps} steps; decoding: score >= "
        f"{d.score_threshold:g}, per-class NMS at IoU 0.5, top 100.\n")


def _mean_spread(values: list[float]) -> str:
    """``mean`` or ``mean ± half-range`` over seeds."""
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    mean = sum(values) / len(values)
    if len(values) == 1:
        return f"{mean:.3f}"
    return f"{mean:.3f} ± {(max(values) - min(values)) / 2:.3f}"


def robustness_section() -> str:
    """The robustness suite's table: each condition for each recorded run (mean ± half-range
    over the runs when they are seeds of one configuration)."""
    doc = read_json("detection_robustness.json")
    if not doc:
        return ("No robustness run recorded yet (`python bench/detection_robustness.py "
                "RUN_DIR`).\n")
    runs = doc["runs"]
    conditions = list(runs[0]["conditions"])
    target = doc["target"]
    lines = [
        f"`python bench/detection_robustness.py` on {len(runs)} run(s) "
        f"({', '.join('`' + r['run_dir'] + '`' for r in runs)}), {doc['images_per_condition']} "
        "canvases of MNIST test digits per condition (`refs.detection.robustness`; each "
        "condition changes one thing about the canonical test canvases). Recall at IoU 0.5 by "
        "the longer box side: small < 16 px <= medium < 48 px <= large. Targets: "
        f"in-distribution mAP >= {target['in-distribution']['mAP']} and mAP@.5 >= "
        f"{target['in-distribution']['mAP50']}; every condition mAP >= "
        f"{target['every condition']['mAP']} and mAP@.5 >= {target['every condition']['mAP50']}.",
        "",
        "| condition | mAP@[.5:.95] | mAP@.5 | mAP@.75 | recall@.5 small | medium | large | "
        "target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in conditions:
        rows = [r["conditions"][c] for r in runs]
        mAP = [r["mAP"] for r in rows]
        mAP50 = [r["mAP50"] for r in rows]
        goal = target["in-distribution"] if c == "in-distribution" else target["every condition"]
        met = (sum(mAP) / len(mAP) >= goal["mAP"]) and (sum(mAP50) / len(mAP50) >= goal["mAP50"])
        lines.append(f"| {c} | {_mean_spread(mAP)} | {_mean_spread(mAP50)} | "
                     f"{_mean_spread([r['mAP75'] for r in rows])} | "
                     + " | ".join(_mean_spread([r[f"recall50_{b}"] for r in rows])
                                  for b in ("small", "medium", "large"))
                     + f" | {'met' if met else 'missed'} |")
    lines += ["", f"Measured on {doc['machine'].get('cpu', '?')}."]
    return "\n".join(lines) + "\n"


def design_section() -> str:
    """Which design change bought what: mAP@[.5:.95] per condition for each variant."""
    doc = read_json("detection_design.json")
    if not doc or not doc.get("results"):
        return "No design variant recorded yet (`python bench/detection_design.py`).\n"
    by_variant: dict[str, list[dict]] = {}
    for record in doc["results"].values():
        by_variant.setdefault(record["variant"], []).append(record)
    conditions = list(next(iter(doc["results"].values()))["conditions"])
    lines = [
        "`python bench/detection_design.py`: each variant trained at the default budget and "
        f"scored on the robustness suite ({doc['images_per_condition']} canvases per "
        "condition); mAP@[.5:.95] (mean ± half-range over the seeds run).",
        "",
        "| variant | seeds | steps | train min | CPU | " + " | ".join(conditions) + " |",
        "|---|---|---|---|---|" + "---|" * len(conditions),
    ]
    cpus = []
    for vid, records in by_variant.items():
        minutes = sum(r["train_time_s"] for r in records) / len(records) / 60
        cpu = (records[0].get("machine") or doc["machine"]).get("cpu", "?")
        cpus += [cpu] if cpu not in cpus else []
        lines.append(f"| {vid} | {len(records)} | {records[0]['steps']} | {minutes:.1f} | "
                     f"{cpus.index(cpu) + 1} | " + " | ".join(
                         _mean_spread([r["conditions"][c]["mAP"] for r in records])
                         for c in conditions) + " |")
    lines += ["", "What each variant changes:", ""]
    lines += [f"- `{vid}`: {records[0]['what']}" for vid, records in by_variant.items()]
    lines += ["", "CPUs (2 cores each, shared with other work, so train minutes compare only "
              "within one CPU and one load): "
              + "; ".join(f"{i + 1}: {c}" for i, c in enumerate(cpus)) + "."]
    return "\n".join(lines) + "\n"


def main() -> None:
    results = [design_text(), "### Robustness suite", "", robustness_section(),
               "### Which design changes bought what", "", design_section(),
               "### Quality of the default run", "", quality_section(),
               "### Focal-loss ablation (RetinaNet Table 1a on synthetic digits)", "",
               ablation_section(), "### Against keras-cv's RetinaNet", "", peer_section()]
    replace_marked_section(DOCS / "results.md", "detection", "\n".join(results))
    bench = [quality_section(), speed_section(), "#### Against keras-cv's RetinaNet", "",
             peer_section()]
    replace_marked_section(DOCS / "benchmarks.md", "detection", "\n".join(bench))
    print("updated docs/results.md and docs/benchmarks.md (detection sections)")


if __name__ == "__main__":
    main()
