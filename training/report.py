"""Human-readable results: the per-class table, the one-line summary and PNG plots."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from contract.labels import Task  # noqa: E402
from training import metrics  # noqa: E402


def format_table(task: Task, rep: dict) -> str:
    """Per-class table: positives, precision, recall, F1, AUROC (and threshold for multi-label)."""
    lines = [f"{'class':<10} {'pos':>5} {'prec':>6} {'rec':>6} {'f1':>6} {'auroc':>6}"
             + (f" {'thr':>5}" if task.multi_label else "")]
    for pc in rep["per_class"]:
        line = (f"{pc['code']:<10} {pc['positives']:>5} {_num(pc['precision'])} {_num(pc['recall'])} "
                f"{_num(pc['f1'])} {_num(pc['auroc'])}")
        if task.multi_label:
            line += f" {pc['threshold']:>5.2f}"
        lines.append(line)
    if rep.get("classes_without_positives"):
        absent = rep["classes_without_positives"]
        lines.append(f"macro over {rep['macro_classes']} of {len(rep['per_class'])} classes; n/a (no positives "
                     f"in this set): {', '.join(absent)}")
    if (gate := rep.get("noisy_gate")) is not None:
        lines.append(f"quality gate ('~'): rejects {gate['noisy_rejected']}/{gate['noisy']} noisy recordings "
                     f"({_share(gate['noisy_rejected'], gate['noisy'])}), wrongly rejects "
                     f"{gate['usable_rejected']}/{gate['usable']} usable ({_share(gate['usable_rejected'], gate['usable'])})")
    return "\n".join(lines)


def _num(v: float | None) -> str:
    """A table cell: three decimals, or n/a for a class without positives."""
    return f"{'n/a':>6}" if v is None else f"{v:>6.3f}"


def _share(k: int, n: int) -> str:
    return f"{100 * k / n:.1f} %" if n else "n/a"


def summary_line(task: Task, rep: dict) -> str:
    """The closing line scripts parse: ``macro_f1=… micro_f1=… macro_auroc=… [macro_classes=K] n=…`` (every value a
    number; the count of classes the macros cover only when some class has no positives) or ``f1_nao=… f1_noisy=… n=…``."""
    if task.multi_label:
        covered = f" macro_classes={rep['macro_classes']}" if rep.get("classes_without_positives") else ""
        return (f"macro_f1={rep['macro_f1']:.4f} micro_f1={rep['micro_f1']:.4f} macro_auroc={rep['macro_auroc']:.4f}"
                f"{covered} n={rep['n']}")
    return f"f1_nao={rep['f1_nao']:.4f} f1_noisy={rep['f1_noisy']:.4f} n={rep['n']}"


def write_plots(folder: Path, task: Task, y: np.ndarray, prob: np.ndarray, thresholds: np.ndarray, rep: dict,
                history: list[dict] | None = None) -> list[Path]:
    """Per-class F1 bars (with positives), ROC and PR curves, F1-vs-threshold curves, training history."""
    folder.mkdir(parents=True, exist_ok=True)
    codes = task.codes
    ybin = y if task.multi_label else np.eye(task.num_classes)[y]
    written = []

    fig, ax = plt.subplots(figsize=(10, 4))
    f1 = [pc["f1"] or 0.0 for pc in rep["per_class"]]  # n/a (no positives) drawn as an empty bar
    bars = ax.bar(range(len(codes)), f1, color="tab:blue")
    for b, pc in zip(bars, rep["per_class"]):
        ax.text(b.get_x() + b.get_width() / 2, b.get_height() + 0.01, f"n={pc['positives']}", ha="center",
                fontsize=7, rotation=90)
    ax.set_xticks(range(len(codes)), codes, rotation=45, ha="right")
    ax.set_ylim(0, 1.15)
    ax.set_ylabel("F1 at tuned threshold" if task.multi_label else "F1 (arg-max)")
    ax.set_title(f"{task.name}: per-class F1 (validation, n={len(y)})")
    written.append(_save(fig, folder / "per_class_f1.png"))

    for kind, curve, xl, yl in (("roc", metrics.roc_curve, "false positive rate", "true positive rate"),
                                ("pr", metrics.pr_curve, "recall", "precision")):
        fig, ax = plt.subplots(figsize=(7, 6))
        for c, code in enumerate(codes):
            if ybin[:, c].sum() == 0:
                continue
            a, b = curve(ybin[:, c], prob[:, c])
            ax.plot(a, b, lw=1, label=f"{code} (n={int(ybin[:, c].sum())})")
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        ax.set_title(f"{task.name}: {kind.upper()} curves (validation)")
        ax.legend(fontsize=6, ncol=2)
        written.append(_save(fig, folder / f"{kind}_curves.png"))

    if task.multi_label:
        fig, ax = plt.subplots(figsize=(7, 5))
        grid = np.round(np.arange(0.02, 0.99, 0.02), 2)
        for c, code in enumerate(codes):
            if ybin[:, c].sum():
                ax.plot(grid, [metrics.prf(ybin[:, c], prob[:, c] >= t)[2] for t in grid], lw=1, label=code)
        ax.set_xlabel("threshold")
        ax.set_ylabel("F1")
        ax.set_title("F1 versus decision threshold (validation)")
        ax.legend(fontsize=6, ncol=2)
        written.append(_save(fig, folder / "threshold_curves.png"))

    if history:
        fig, ax = plt.subplots(figsize=(7, 4))
        ep = [h["epoch"] for h in history]
        ax.plot(ep, [h["train_loss"] for h in history], label="train loss")
        ax2 = ax.twinx()
        ax2.plot(ep, [h["val_score"] for h in history], color="tab:orange", label="validation score")
        ax.set_xlabel("epoch")
        ax.set_ylabel("train loss")
        ax2.set_ylabel("validation score")
        fig.legend(loc="upper center", ncol=2, fontsize=8)
        written.append(_save(fig, folder / "history.png"))
    return written


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
