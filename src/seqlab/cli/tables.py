"""Tables every classification command prints: per-class scores, accuracy beside the majority
class, the confusion matrix (up to 20 classes), and the candidates ``auto`` trained."""

from __future__ import annotations

from rich.table import Table

from seqlab.cli.common import console


def class_scores_table(title: str, scores: dict, majority: dict | None = None) -> None:
    table = Table(title=title)
    table.add_column("class")
    for col in ("precision", "recall", "f1", "support"):
        table.add_column(col, justify="right")
    for name, row in scores["per_class"].items():
        table.add_row(name, f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1']:.3f}", str(row["support"]))
    console.print(table)
    line = f"accuracy {scores['accuracy']:.4f}   macro-F1 {scores['macro_f1']:.4f}"
    if majority is not None:
        line += f"   (majority class '{majority['label']}': accuracy {majority['accuracy']:.4f})"
    console.print(line)
    names = list(scores["per_class"])
    matrix = Table(title="confusion matrix (rows: true, columns: predicted)")
    matrix.add_column("")
    for name in names:
        matrix.add_column(name, justify="right")
    for name, row in zip(names, scores["confusion_matrix"]):
        matrix.add_row(name, *map(str, row))
    if len(names) <= 20:
        console.print(matrix)


def selection_table(selection: dict, chosen: str) -> None:
    """The candidates ``auto`` trained, with their validation accuracy; ``chosen`` ends the title."""
    table = Table(title=f"auto: candidates on validation (chosen: {chosen})")
    for col in ("model", "val accuracy", "parameters", "epochs", "train s"):
        table.add_column(col, justify="right" if col != "model" else "left")
    for row in selection["candidates"]:
        table.add_row(row["model"], f"{row['val_accuracy']:.4f}", f"{row['parameters']:,}", str(row["epochs"]),
                      f"{row['train_seconds']:.1f}")
    console.print(table)
