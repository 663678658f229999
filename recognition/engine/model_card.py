"""Render a model card (the JSON written by training and evaluation) as Markdown."""

from __future__ import annotations

from typing import Any

ATTRIBUTION = """\
- UNIPEN: Guyon, Schomaker, Plamondon, Liberman, Janet, "UNIPEN project of on-line data
  exchange and recognizer benchmarks", ICPR 1994. Data set "Unipen data set of on-line
  (vectorial) handwriting - train_r01_v07", The International Unipen Foundation, 1999,
  Zenodo, doi:10.5281/zenodo.1195803, CC BY 4.0. Converted to ink JSONL: categories
  1a/1b/1c only, letters inside words cut at the points the segmentation gives, writer
  ids anonymised, y axis flipped, empty strokes dropped.
- pendigits: E. Alpaydin and F. Alimoglu, "Pen-Based Recognition of Handwritten Digits",
  UCI Machine Learning Repository (id 81), CC BY 4.0. Converted to ink JSONL: y axis
  flipped.
"""


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4f}"
    return str(v)


def _ensemble_lines(card: dict[str, Any]) -> list[str]:
    """For an averaged model: its members; the lines after them describe member 1."""
    ens = card.get("ensemble")
    if not ens:
        return []
    lines = [
        f"- Ensemble: {ens.get('combination')}, one graph and one `model.tflite` "
        f"({card.get('training', {}).get('tflite_bytes')} bytes"
        + (", weights int8 by dynamic-range quantisation" if ens.get("quantized") else "")
        + "). Members, trained separately with the same code and data:"
    ]
    for i, m in enumerate(ens.get("members", []), 1):
        c, v = m.get("config", {}), m.get("val", {})
        lines.append(
            f"  {i}. `{m.get('folder')}`: epochs {c.get('epochs')}, batch {c.get('batch_size')}, "
            f"peak learning rate {c.get('learning_rate')}, seed {c.get('seed')}; "
            f"{m.get('params')} weights; {m.get('seconds')} s; val top1_35 "
            f"{_fmt(v.get('top1_35'))}, top1 {_fmt(v.get('top1'))} (alone, before rejection)."
        )
    lines.append("- Member 1 in detail (parameters in all, the table is its training):")
    return lines


def render_markdown(card: dict[str, Any]) -> str:
    """The Markdown model card: data, filtering, classes, preprocessing, training, metrics."""
    tr = card.get("training", {})
    cfg = tr.get("config", {})
    lines = [
        f"# Inkwell recogniser, model version {card.get('version')}",
        "",
        card.get(
            "summary",
            "A compact CNN over a 28x28 anti-aliased raster of the ink, "
            "62 classes plus a reject output, served with LiteRT.",
        ),
        "",
        "## Classes",
        "",
        f"`{card.get('classes')}` (62), plus one hidden *reject* output trained on synthetic "
        "scribbles. A drawing is rejected when p(reject) >= "
        f"{_fmt(card.get('reject_threshold'))} (chosen on the validation split so that at "
        "most 1% of real validation characters are rejected).",
        "",
        "## Data and filtering",
        "",
        f"- Files: {', '.join('`' + d + '`' for d in cfg.get('data', []))}; split `train` for "
        "training, UNIPEN `val` for every choice (epochs, threshold); `test` only for the "
        "figures below.",
        f"- Training samples kept: {tr.get('train_samples')} of {tr.get('train_read')} read "
        f"({tr.get('samples_by_source')}); {tr.get('fragments_dropped')} dropped as fragments "
        f"(longer side < {cfg.get('fragment_ratio')} x the writer's median character size); "
        f"{tr.get('bad_ink_skipped')} skipped for ink outside CONTRACTS section 1 limits.",
        f"- Synthetic scribbles for the reject output: {tr.get('scribbles')} per version "
        "(random walks, zig-zag hatching, scribbled blobs, tangles, spirals, stars, "
        "self-crossing polygons, dot sprays, grids), seeded.",
        "",
        "## Preprocessing",
        "",
        f"Version `{card.get('preprocessing_version')}` "
        "(`recognition/engine/preprocessing.py`): ink is fitted by its bounding box into a "
        f"22 px square of a {card.get('input_size')}x{card.get('input_size')} raster keeping "
        "the aspect ratio, centred, drawn at 4x with round caps and a stroke width of 10% of "
        "the box, then box-filtered down (anti-aliased). Photos and scans: EXIF rotation, "
        "grayscale, automatic inversion, lighting flattened, Otsu threshold, crop, same box, "
        "stroke width brought to the same 10%, same 4x reduction.",
        "",
        "## Training",
        "",
        *_ensemble_lines(card),
        f"- Parameters: {_fmt(tr.get('params'))} weights; epochs {cfg.get('epochs')}, batch "
        f"{cfg.get('batch_size')}, AdamW (weight decay 1e-4), peak learning rate "
        f"{cfg.get('learning_rate')} with warm-up and cosine decay, label smoothing "
        f"{cfg.get('label_smoothing')}, seed {cfg.get('seed')}.",
        f"- Augmentation on strokes ({cfg.get('augmented_copies')} augmented copies + the "
        "clean one, one drawn per sample and epoch): rotation, shear, x/y scale, elastic "
        "distortion, point jitter, point dropping, stroke width.",
        f"- Time: {tr.get('seconds')} s on {tr.get('machine')} (TensorFlow "
        f"{tr.get('tensorflow')}); rasterising {tr.get('rasterise_seconds')} s.",
        "",
        "| epoch | loss | accuracy | val accuracy | seconds |",
        "|---|---|---|---|---|",
    ]
    for row in tr.get("history", []):
        lines.append(
            f"| {row['epoch']} | {row['loss']:.4f} | {row['accuracy']:.4f} | "
            f"{row['val_accuracy']:.4f} | {row['seconds']} |"
        )
    lines += ["", "## Metrics", ""]
    metrics = card.get("metrics", {})
    keys = ["n", "top1", "top3", "top1_35", "rejected", "ms_per_sample"]
    lines.append("| set | " + " | ".join(keys) + " |")
    lines.append("|---" * (len(keys) + 1) + "|")
    for name, m in metrics.items():
        shown = "val (at training, before rejection)" if name == "val" else name
        lines.append(f"| {shown} | " + " | ".join(_fmt(m.get(k, "")) for k in keys) + " |")
    lines.append("")
    val = metrics.get("val", {})
    if "val_scribbles_rejected" in val:
        lines.append(
            f"Validation rejection: {_fmt(val['val_real_rejected'])} of real "
            f"characters, {_fmt(val['val_scribbles_rejected'])} of unseen scribbles."
        )
        lines.append("")
    for name, m in metrics.items():
        if m.get("confusions"):
            pairs = ", ".join(f"{a}->{b} ({n})" for a, b, n in m["confusions"][:15])
            lines.append(f"- Most frequent confusions on {name} (true->predicted): {pairs}")
    commands = card.get("commands", {})
    if commands:
        lines += ["", "## Commands that produced this model and these figures", "", "```"]
        lines += [f"# {k}\n{v}" for k, v in commands.items()]
        lines += ["```"]
    if card.get("notes"):
        lines += ["", "## Notes", "", card["notes"]]
    lines += ["", "## Data attribution (CC BY 4.0)", "", ATTRIBUTION]
    return "\n".join(lines)
